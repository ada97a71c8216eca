package dev.breakwater.protocol.auth;

import dev.breakwater.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The server side of one SCRAM-SHA-256 exchange: Breakwater checking a client's proof against a
 * verifier. Channel binding is not offered (the mechanism list has no -PLUS), so a client that
 * insists on it is refused.
 *
 * <p>A client whose user is unknown is walked through the same exchange against a verifier that
 * can never match, so that the answer and the work are the same as for a wrong password.
 */
public final class ScramServer {

  /** The result of the final step. {@code clientKey} is set only when the proof was right. */
  public record Outcome(boolean authenticated, byte[] serverFinal, byte[] clientKey) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ScramSecret secret;
  private String gs2Header;
  private String clientFirstBare;
  private String serverFirst;
  private String nonce;

  public ScramServer(ScramSecret secret) {
    this.secret = secret;
  }

  /**
   * A verifier that no proof matches, stable per user so repeated tries see the same salt.
   *
   * @param serverSecret random bytes generated once per process
   */
  public static ScramSecret impossibleSecret(String user, byte[] serverSecret) {
    byte[] salt = new byte[16];
    System.arraycopy(
        ScramKeys.hmac(serverSecret, user.getBytes(StandardCharsets.UTF_8)), 0, salt, 0, 16);
    byte[] stored = new byte[32];
    byte[] server = new byte[32];
    RANDOM.nextBytes(stored);
    RANDOM.nextBytes(server);
    return new ScramSecret(ScramSecret.DEFAULT_ITERATIONS, salt, stored, server);
  }

  /** Reads client-first-message, returns server-first-message. */
  public byte[] onClientFirst(byte[] message) {
    String m = new String(message, StandardCharsets.UTF_8);
    int first = m.indexOf(',');
    int second = first < 0 ? -1 : m.indexOf(',', first + 1);
    if (second < 0) {
      throw new ProtocolException("malformed SCRAM client-first-message");
    }
    String cbind = m.substring(0, first);
    if (cbind.startsWith("p=")) {
      throw new ProtocolException(
          "SCRAM channel binding was requested, but the server did not offer SCRAM-SHA-256-PLUS");
    }
    if (!cbind.equals("n") && !cbind.equals("y")) {
      throw new ProtocolException("malformed SCRAM channel-binding flag");
    }
    if (second != first + 1) {
      throw new ProtocolException("SCRAM authorization identities are not supported");
    }
    gs2Header = m.substring(0, second + 1);
    clientFirstBare = m.substring(second + 1);
    String clientNonce = null;
    for (String attr : clientFirstBare.split(",")) {
      if (attr.startsWith("r=")) {
        clientNonce = attr.substring(2);
      } else if (attr.startsWith("m=")) {
        throw new ProtocolException("SCRAM mandatory extensions are not supported");
      }
    }
    if (clientNonce == null || clientNonce.isEmpty() || !clientFirstBare.startsWith("n=")) {
      throw new ProtocolException("malformed SCRAM client-first-message");
    }
    byte[] own = new byte[18];
    RANDOM.nextBytes(own);
    nonce = clientNonce + Base64.getEncoder().encodeToString(own);
    serverFirst =
        "r="
            + nonce
            + ",s="
            + Base64.getEncoder().encodeToString(secret.salt())
            + ",i="
            + secret.iterations();
    return serverFirst.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads client-final-message and checks the proof. */
  public Outcome onClientFinal(byte[] message) {
    if (serverFirst == null) {
      throw new ProtocolException("SCRAM client-final-message before client-first-message");
    }
    String m = new String(message, StandardCharsets.UTF_8);
    int proofAt = m.lastIndexOf(",p=");
    if (proofAt < 0) {
      throw new ProtocolException("malformed SCRAM client-final-message: no proof");
    }
    String withoutProof = m.substring(0, proofAt);
    String channelBinding = null;
    String finalNonce = null;
    for (String attr : withoutProof.split(",")) {
      if (attr.startsWith("c=")) {
        channelBinding = attr.substring(2);
      } else if (attr.startsWith("r=")) {
        finalNonce = attr.substring(2);
      }
    }
    String expectedBinding =
        Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
    if (!expectedBinding.equals(channelBinding)) {
      throw new ProtocolException("SCRAM channel binding check failed");
    }
    if (!nonce.equals(finalNonce)) {
      throw new ProtocolException("SCRAM nonce does not match");
    }
    byte[] proof;
    try {
      proof = Base64.getDecoder().decode(m.substring(proofAt + 3));
    } catch (IllegalArgumentException e) {
      throw new ProtocolException("malformed SCRAM proof");
    }
    if (proof.length != 32) {
      throw new ProtocolException("malformed SCRAM proof");
    }
    byte[] authMessage =
        (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
    byte[] clientSignature = ScramKeys.hmac(secret.storedKey(), authMessage);
    byte[] clientKey = ScramKeys.xor(proof, clientSignature);
    if (!MessageDigest.isEqual(ScramKeys.sha256(clientKey), secret.storedKey())) {
      return new Outcome(false, null, null);
    }
    byte[] serverSignature = ScramKeys.hmac(secret.serverKey(), authMessage);
    byte[] serverFinal =
        ("v=" + Base64.getEncoder().encodeToString(serverSignature))
            .getBytes(StandardCharsets.UTF_8);
    return new Outcome(true, serverFinal, clientKey);
  }
}
