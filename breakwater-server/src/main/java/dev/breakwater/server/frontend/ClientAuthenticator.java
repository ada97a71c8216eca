package dev.breakwater.server.frontend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.auth.Md5Password;
import dev.breakwater.protocol.auth.ScramClient;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.ScramSecret;
import dev.breakwater.protocol.auth.ScramServer;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.ScramCache;
import dev.breakwater.server.config.AuthType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;

/**
 * Authenticates one client against the auth file: trust, plain (cleartext), md5 and
 * scram-sha-256, as PgBouncer does. With md5, a user whose secret is a SCRAM verifier is asked for
 * SCRAM instead. A user that does not exist goes through the same exchange as one with a wrong
 * password, and gets the same answer.
 *
 * <p>An empty password logs no one in, as in PostgreSQL (which will not store one) and PgBouncer:
 * neither an empty cleartext password nor a secret that the empty password matches (an empty
 * plain password, the md5 hash of an empty password, a SCRAM verifier made from one).
 */
final class ClientAuthenticator {

  /** Where the exchange stands after a message from the client. */
  enum Step {
    CONTINUE,
    OK,
    FAILED,
    /**
     * A PBKDF2 runs off the event loop: once {@link #pending()} completes, call {@link #resume}
     * on the client's loop for the real step. Nothing else may be read meanwhile.
     */
    PENDING
  }

  private enum Method {
    NONE,
    CLEARTEXT,
    /** Asks for a cleartext password and accepts any (trust and any, for edge clients). */
    ANY_CLEARTEXT,
    MD5,
    SCRAM
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String user;
  private final Secret secret;
  private final Frontend frontend;
  private final Method method;
  private byte[] md5Salt;
  private ScramServer scram;
  private boolean scramStarted;
  private ScramKeys recoveredKeys;
  /** The work {@link Step#PENDING} waits for, and what to do with its result; else null. */
  private java.util.concurrent.CompletableFuture<?> pending;

  private java.util.function.Function<ByteBuf, Step> resumeWith;

  /** Why the exchange failed, when it is not just a wrong password: for the log. */
  private String failureDetail = "";

  ClientAuthenticator(AuthType type, String user, Secret secret, Frontend frontend) {
    this(type, user, secret, frontend, false);
  }

  /**
   * With {@code cleartext} (clients of the HTTP listener) the client is always asked for its
   * password in cleartext, which is checked against whatever the auth file holds; with trust or
   * any the password asked for is accepted unchecked. Neon's driver sends it before being asked.
   */
  ClientAuthenticator(AuthType type, String user, Secret secret, Frontend frontend, boolean cleartext) {
    this.user = user;
    this.secret = secret;
    this.frontend = frontend;
    Method m = methodFor(type, secret);
    this.method = !cleartext ? m : m == Method.NONE ? Method.ANY_CLEARTEXT : Method.CLEARTEXT;
  }

  private static Method methodFor(AuthType type, Secret secret) {
    switch (type) {
      case TRUST:
      case ANY:
        return Method.NONE;
      case PLAIN:
        return Method.CLEARTEXT;
      case MD5:
        return secret instanceof Secret.Scram ? Method.SCRAM : Method.MD5;
      case SCRAM_SHA_256:
        return Method.SCRAM;
      default:
        throw new IllegalArgumentException("auth_type " + type.configName() + " is not supported yet");
    }
  }

  /** True when the exchange is SCRAM (SASL). */
  boolean sasl() {
    return method == Method.SCRAM;
  }

  /** True when the client must prove nothing. */
  boolean trusted() {
    return method == Method.NONE;
  }

  /** Writes the first authentication request. */
  void start(ByteBuf out) {
    switch (method) {
      case CLEARTEXT:
      case ANY_CLEARTEXT:
        BackendMessages.authenticationCleartextPassword(out);
        break;
      case MD5:
        md5Salt = new byte[4];
        RANDOM.nextBytes(md5Salt);
        BackendMessages.authenticationMd5Password(out, md5Salt);
        break;
      case SCRAM:
        BackendMessages.authenticationSasl(out, List.of(ScramClient.MECHANISM));
        break;
      default:
        throw new IllegalStateException("no authentication to start");
    }
  }

  /**
   * Reads a PasswordMessage, SASLInitialResponse or SASLResponse (whole message, reader index at
   * the type byte), writing any reply to {@code out}.
   */
  Step onMessage(ByteBuf message, ByteBuf out) {
    if (pending != null) {
      throw new ProtocolException("unexpected password message");
    }
    ByteBuf body = Codec.body(message);
    switch (method) {
      case CLEARTEXT:
        return checkCleartext(Codec.readCString(body));
      case ANY_CLEARTEXT:
        return Step.OK;
      case MD5:
        return checkMd5(Codec.readCString(body)) ? Step.OK : Step.FAILED;
      case SCRAM:
        return onScram(body, out);
      default:
        throw new ProtocolException("unexpected password message");
    }
  }

  /** What {@link Step#PENDING} waits for. */
  java.util.concurrent.CompletableFuture<?> pending() {
    return pending;
  }

  /**
   * The step after {@link Step#PENDING}, on the client's event loop once {@link #pending()} is
   * done; throws the ProtocolException it failed with (53300 when too many logins wait).
   */
  Step resume(ByteBuf out) {
    java.util.function.Function<ByteBuf, Step> r = resumeWith;
    java.util.concurrent.CompletableFuture<?> f = pending;
    pending = null;
    resumeWith = null;
    if (f.isCompletedExceptionally()) {
      Throwable cause;
      try {
        f.join();
        cause = new IllegalStateException();
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
        cause = e.getCause() != null ? e.getCause() : e;
      }
      if (cause instanceof ProtocolException p) {
        throw p;
      }
      throw new IllegalStateException("password check failed", cause);
    }
    return r.apply(out);
  }

  private <T> Step later(java.util.concurrent.CompletableFuture<T> work, java.util.function.BiFunction<T, ByteBuf, Step> then) {
    pending = work;
    resumeWith = out -> then.apply(work.join(), out);
    return Step.PENDING;
  }

  /** What the log should add to "password authentication failed", or "". */
  String failureDetail() {
    return failureDetail;
  }

  /** A secret the empty password matches: such a user cannot log in by password. */
  private boolean emptySecret() {
    boolean empty;
    if (secret instanceof Secret.Plain p) {
      empty = p.password().isEmpty();
    } else if (secret instanceof Secret.Md5 m) {
      empty = constantTimeEquals(m.hash(), Md5Password.encrypt("", user));
    } else if (secret instanceof Secret.Scram s) {
      // One PBKDF2, cached, and only after a proof that matched the verifier.
      ScramSecret v = s.verifier();
      ScramKeys keys = frontend.scramCache().keys("", v.salt(), v.iterations());
      empty = MessageDigest.isEqual(keys.storedKey(), v.storedKey());
    } else {
      empty = false;
    }
    if (empty) {
      failureDetail = ": the auth file's password for this user is empty, and empty passwords are refused";
    }
    return empty;
  }

  /** Keys recovered from a successful SCRAM proof: they let Breakwater log in as this user. */
  ScramKeys recoveredKeys() {
    return recoveredKeys;
  }

  private Step checkCleartext(String password) {
    if (password.isEmpty()) {
      failureDetail = ": empty password";
      return Step.FAILED;
    }
    if (secret instanceof Secret.Plain p) {
      return constantTimeEquals(p.password(), password) ? Step.OK : Step.FAILED;
    }
    if (secret instanceof Secret.Md5 m) {
      return constantTimeEquals(m.hash(), Md5Password.encrypt(password, user)) ? Step.OK : Step.FAILED;
    }
    if (secret instanceof Secret.Scram s) {
      // The password must go through PBKDF2, unless it was verified a short while ago: off the
      // event loop, and its keys cached only once they match (ScramCache).
      ScramSecret v = s.verifier();
      ScramKeys known = frontend.scramCache().verifiedKeys(password, v);
      if (known != null) {
        recoveredKeys = known;
        return Step.OK;
      }
      return later(
          frontend.scramCache().keysAsync(password, v.salt(), v.iterations()),
          (keys, out) -> {
            if (!ScramCache.matches(keys, v)) {
              return Step.FAILED;
            }
            frontend.scramCache().rememberVerified(password, v, keys);
            recoveredKeys = keys;
            return Step.OK;
          });
    }
    return Step.FAILED;
  }

  private boolean checkMd5(String response) {
    String stored;
    if (secret instanceof Secret.Plain p) {
      stored = Md5Password.encrypt(p.password(), user);
    } else if (secret instanceof Secret.Md5 m) {
      stored = m.hash();
    } else {
      // Unknown user: the same work against a secret nobody knows.
      stored = Md5Password.encrypt(ByteBufUtil.hexDump(frontend.serverSecret()), user);
    }
    return constantTimeEquals(Md5Password.saltedResponse(stored, md5Salt), response) && !emptySecret();
  }

  private Step onScram(ByteBuf body, ByteBuf out) {
    if (!scramStarted) {
      scramStarted = true;
      String mechanism = Codec.readCString(body);
      if (!ScramClient.MECHANISM.equals(mechanism)) {
        throw new ProtocolException(
            "28000", "SASL authentication mechanism " + mechanism + " is not supported");
      }
      int length = body.readableBytes() < 4 ? -1 : body.readInt();
      if (length < 0 || length != body.readableBytes()) {
        throw new ProtocolException("malformed SASLInitialResponse");
      }
      byte[] data = ByteBufUtil.getBytes(body);
      if (secret instanceof Secret.Plain p
          && frontend.scramCache().cachedVerifier(user, p.password()) == null) {
        // The auth file's password needs a verifier: PBKDF2, off the event loop.
        return later(
            frontend.scramCache().verifierAsync(user, p.password()),
            (v, o) -> startScram(v, data, o));
      }
      return startScram(verifier(), data, out);
    }
    ScramServer.Outcome outcome = scram.onClientFinal(ByteBufUtil.getBytes(body));
    if (!outcome.authenticated()
        || !(secret instanceof Secret.Plain || secret instanceof Secret.Scram)
        || emptySecret()) {
      return Step.FAILED;
    }
    if (secret instanceof Secret.Scram s) {
      recoveredKeys = ScramKeys.of(outcome.clientKey(), s.verifier().serverKey());
    }
    BackendMessages.authenticationSaslFinal(out, outcome.serverFinal());
    return Step.OK;
  }

  private Step startScram(ScramSecret verifier, byte[] clientFirst, ByteBuf out) {
    scram = new ScramServer(verifier);
    BackendMessages.authenticationSaslContinue(out, scram.onClientFirst(clientFirst));
    return Step.CONTINUE;
  }

  /** The verifier to check SCRAM proofs against; one nobody can match when there is none. */
  private ScramSecret verifier() {
    if (secret instanceof Secret.Scram s) {
      return s.verifier();
    }
    if (secret instanceof Secret.Plain p) {
      return frontend.scramCache().verifier(user, p.password());
    }
    return ScramServer.impossibleSecret(user, frontend.serverSecret());
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
