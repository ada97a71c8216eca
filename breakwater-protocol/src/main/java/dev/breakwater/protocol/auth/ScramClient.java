package dev.breakwater.protocol.auth;

import dev.breakwater.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Function;

/**
 * The client side of one SCRAM-SHA-256 exchange: Breakwater logging in to a server, either with a
 * password or with the keys recovered from a client's own SCRAM login (pass-through).
 */
public final class ScramClient {

  /** Raised when the server's answer does not prove that it knows the verifier. */
  public static final class ServerProofException extends ProtocolException {
    public ServerProofException(String message) {
      super("28000", message);
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String GS2_HEADER = "n,,";

  /** Derives keys from the server's salt and iteration count; null for pass-through. */
  private final Function<ScramSecret, ScramKeys> deriver;

  private final ScramKeys fixedKeys;
  private final String clientFirstBare;
  private byte[] expectedServerSignature;

  private ScramClient(Function<ScramSecret, ScramKeys> deriver, ScramKeys fixedKeys) {
    this.deriver = deriver;
    this.fixedKeys = fixedKeys;
    byte[] n = new byte[18];
    RANDOM.nextBytes(n);
    this.clientFirstBare = "n=,r=" + Base64.getEncoder().encodeToString(n);
  }

  /**
   * Logs in with a password. {@code deriver} turns (salt, iterations) into keys, so callers can
   * cache the costly PBKDF2 step; it receives a ScramSecret carrying only salt and iterations.
   */
  public static ScramClient withPassword(Function<ScramSecret, ScramKeys> deriver) {
    return new ScramClient(deriver, null);
  }

  /** Logs in with keys that are already known: SCRAM pass-through. */
  public static ScramClient withKeys(ScramKeys keys) {
    return new ScramClient(null, keys);
  }

  public static final String MECHANISM = "SCRAM-SHA-256";

  public byte[] clientFirst() {
    return (GS2_HEADER + clientFirstBare).getBytes(StandardCharsets.UTF_8);
  }

  /** Reads server-first-message, returns client-final-message. */
  public byte[] onServerFirst(byte[] message) {
    String serverFirst = new String(message, StandardCharsets.UTF_8);
    String nonce = null;
    String salt = null;
    int iterations = -1;
    for (String attr : serverFirst.split(",")) {
      if (attr.startsWith("r=")) {
        nonce = attr.substring(2);
      } else if (attr.startsWith("s=")) {
        salt = attr.substring(2);
      } else if (attr.startsWith("i=")) {
        try {
          iterations = Integer.parseInt(attr.substring(2));
        } catch (NumberFormatException e) {
          throw new ProtocolException("malformed SCRAM iteration count from server");
        }
      }
    }
    String clientNonce = clientFirstBare.substring(clientFirstBare.indexOf("r=") + 2);
    if (nonce == null || !nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
      throw new ProtocolException("invalid SCRAM nonce from server");
    }
    if (salt == null || iterations < 1) {
      throw new ProtocolException("malformed SCRAM server-first-message");
    }
    byte[] saltBytes;
    try {
      saltBytes = Base64.getDecoder().decode(salt);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException("malformed SCRAM salt from server");
    }
    ScramKeys keys =
        fixedKeys != null
            ? fixedKeys
            : deriver.apply(new ScramSecret(iterations, saltBytes, new byte[0], new byte[0]));
    String withoutProof =
        "c="
            + Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.UTF_8))
            + ",r="
            + nonce;
    byte[] authMessage =
        (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
    byte[] clientSignature = ScramKeys.hmac(keys.storedKey(), authMessage);
    byte[] proof = ScramKeys.xor(keys.clientKey(), clientSignature);
    expectedServerSignature = ScramKeys.hmac(keys.serverKey(), authMessage);
    return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Checks server-final-message. */
  public void onServerFinal(byte[] message) {
    String m = new String(message, StandardCharsets.UTF_8);
    if (m.startsWith("e=")) {
      throw new ServerProofException("SCRAM error from server: " + m.substring(2));
    }
    if (!m.startsWith("v=") || expectedServerSignature == null) {
      throw new ProtocolException("malformed SCRAM server-final-message");
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(m.substring(2).split(",")[0]);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException("malformed SCRAM server signature");
    }
    if (!MessageDigest.isEqual(signature, expectedServerSignature)) {
      throw new ServerProofException("server's SCRAM signature is wrong: it does not know the verifier");
    }
  }
}
