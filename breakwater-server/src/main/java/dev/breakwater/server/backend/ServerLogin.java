package dev.breakwater.server.backend;

import dev.breakwater.protocol.Authentication;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.auth.Md5Password;
import dev.breakwater.protocol.auth.ScramClient;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Logs in to PostgreSQL as a pool's user: answers trust, cleartext, md5 and SCRAM-SHA-256 with
 * the password of the database entry or the auth file, or, when the auth file holds only a SCRAM
 * verifier, with the keys recovered from a client's own SCRAM login (pass-through).
 */
final class ServerLogin {

  private final PoolSettings cfg;
  private final Backend backend;
  private final Pool pool;
  /** A replication client's own parameters, the replication one included; empty for others. */
  private final Map<String, String> clientParameters;
  private ScramClient scram;
  private boolean authenticated;

  ServerLogin(PoolSettings cfg, Backend backend, Pool pool, Map<String, String> clientParameters) {
    this.cfg = cfg;
    this.backend = backend;
    this.pool = pool;
    this.clientParameters = clientParameters;
  }

  Map<String, String> startupParameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("user", cfg.serverUser());
    p.put("database", cfg.serverDatabase());
    p.putAll(cfg.serverStartupParameters());
    p.putAll(clientParameters);
    return p;
  }

  /** The reply to an authentication request, or null when none is due. */
  ByteBuf answer(Authentication auth, ByteBufAllocator alloc) {
    ByteBuf out;
    switch (auth.code()) {
      case Authentication.OK:
        authenticated = true;
        return null;
      case Authentication.CLEARTEXT_PASSWORD:
        {
          String password = plainPassword("cleartext");
          out = alloc.buffer();
          FrontendMessages.password(out, password);
          return out;
        }
      case Authentication.MD5_PASSWORD:
        {
          String stored;
          Secret secret = secret();
          // The database entry's password= comes first, as in PgBouncer; then the auth file.
          if (cfg.serverPassword() == null && secret instanceof Secret.Md5 md5) {
            stored = md5.hash();
          } else {
            stored = Md5Password.encrypt(plainPassword("md5"), cfg.serverUser());
          }
          String response = Md5Password.saltedResponse(stored, auth.data());
          out = alloc.buffer();
          FrontendMessages.password(out, response);
          return out;
        }
      case Authentication.SASL:
        if (!auth.mechanisms().contains(ScramClient.MECHANISM)) {
          throw failure("server offers no SASL mechanism Breakwater supports: " + auth.mechanisms());
        }
        {
          scram = scramClient();
          byte[] first = scram.clientFirst();
          out = alloc.buffer();
          FrontendMessages.saslInitialResponse(out, ScramClient.MECHANISM, first);
          return out;
        }
      case Authentication.SASL_CONTINUE:
        if (scram == null) {
          throw new ProtocolException("SASL continue without SASL start");
        }
        {
          // Computed before the buffer is taken: a malformed server-first message throws.
          byte[] response = scram.onServerFirst(auth.data());
          out = alloc.buffer();
          FrontendMessages.saslResponse(out, response);
          return out;
        }
      case Authentication.SASL_FINAL:
        if (scram == null) {
          throw new ProtocolException("SASL final without SASL start");
        }
        scram.onServerFinal(auth.data());
        return null;
      default:
        throw failure("server asks for authentication method " + auth.code() + ", which Breakwater does not support");
    }
  }

  void checkComplete() {
    if (!authenticated) {
      throw new ProtocolException("server sent ReadyForQuery before AuthenticationOk");
    }
  }

  private ScramClient scramClient() {
    if (cfg.serverPassword() != null) {
      String pw = cfg.serverPassword();
      return ScramClient.withPassword(p -> backend.scramCache().keys(pw, p.salt(), p.iterations()));
    }
    Secret secret = secret();
    if (secret instanceof Secret.Plain plain) {
      String pw = plain.password();
      return ScramClient.withPassword(p -> backend.scramCache().keys(pw, p.salt(), p.iterations()));
    }
    if (secret instanceof Secret.Scram s) {
      ScramKeys keys = pool.passThroughKeys();
      if (keys == null) {
        throw failure(
            "wrong password type: no password for user \""
                + cfg.serverUser()
                + "\": the auth file holds a SCRAM verifier, which can log in to the server only"
                + " after a client logged in with SCRAM");
      }
      return ScramClient.withKeys(ScramKeys.of(keys.clientKey(), s.verifier().serverKey()));
    }
    if (secret == null) {
      throw failure(
          "no password for user \""
              + cfg.serverUser()
              + "\": the server asks for SCRAM, and neither the database entry nor the auth file"
              + " nor auth_query has a password");
    }
    throw failure(
        "wrong password type: cannot log in to the server with SCRAM as \""
            + cfg.serverUser()
            + "\": the auth file holds an md5 secret and the database entry no password");
  }

  private String plainPassword(String method) {
    if (cfg.serverPassword() != null) {
      return cfg.serverPassword();
    }
    if (secret() instanceof Secret.Plain plain) {
      return plain.password();
    }
    // "wrong password type" is PgBouncer's wording, which scripts match on.
    throw failure(
        (secret() == null ? "" : "wrong password type: ")
            + "server asks for a "
            + method
            + " password for \""
            + cfg.serverUser()
            + "\", and neither the database entry nor the auth file has it in plain text");
  }

  private Secret secret() {
    Secret s = backend.secret(cfg.serverUser());
    return s != null ? s : pool.queriedSecret();
  }

  private static ProtocolException failure(String message) {
    return new ProtocolException(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, message);
  }
}
