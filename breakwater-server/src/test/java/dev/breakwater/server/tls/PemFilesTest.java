package dev.breakwater.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The key and certificate files OpenSSL writes (fixtures in src/test/resources/tls, made as its
 * README says): PKCS#1, SEC1 and PKCS#8 keys are read, and each matches its certificate.
 */
class PemFilesTest {

  private static Path fixture(String name) throws Exception {
    return Path.of(PemFilesTest.class.getResource("/tls/" + name).toURI());
  }

  @ParameterizedTest
  @CsvSource({
    "rsa-pkcs1.key, RSA, rsa.crt",
    "rsa-pkcs8.key, RSA, rsa.crt",
    "ec-sec1.key, EC, ec.crt",
    "ec-sec1-with-params.key, EC, ec.crt",
    "ec-sec1-no-public.key, EC, ec.crt",
    "ec-pkcs8.key, EC, ec.crt",
  })
  void eachFormOfKeyIsReadAndMatchesItsCertificate(String keyFile, String algorithm, String certFile)
      throws Exception {
    PrivateKey key = PemFiles.privateKey(fixture(keyFile));
    assertThat(key.getAlgorithm()).isEqualTo(algorithm);
    List<X509Certificate> certs = PemFiles.certificates(fixture(certFile));
    PemFiles.checkPair(key, certs.get(0), fixture(keyFile), fixture(certFile));
  }

  @Test
  void theWrappedKeyIsTheSameKeyAsThePkcs8One() throws Exception {
    assertThat(PemFiles.privateKey(fixture("rsa-pkcs1.key")).getEncoded())
        .isEqualTo(PemFiles.privateKey(fixture("rsa-pkcs8.key")).getEncoded());
    // OpenSSL's PKCS#8 drops the curve from the inner SEC1 structure; the secret is the same.
    assertThat(((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(fixture("ec-sec1.key"))).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(fixture("ec-pkcs8.key"))).getS());
  }

  @Test
  void aCertificateAfterOpensslsTextIsRead() throws Exception {
    List<X509Certificate> certs = PemFiles.certificates(fixture("ec-with-text.crt"));
    assertThat(certs).hasSize(1);
    assertThat(certs.get(0)).isEqualTo(PemFiles.certificates(fixture("ec.crt")).get(0));
  }

  @Test
  void severalCertificatesAreReadInOrder(@TempDir Path dir) throws Exception {
    Path both = dir.resolve("chain.crt");
    Files.writeString(both, Files.readString(fixture("ec.crt")) + Files.readString(fixture("rsa.crt")));
    List<X509Certificate> certs = PemFiles.certificates(both);
    assertThat(certs).extracting(c -> c.getPublicKey().getAlgorithm()).containsExactly("EC", "RSA");
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() throws Exception {
    PrivateKey ec = PemFiles.privateKey(fixture("ec-sec1.key"));
    X509Certificate rsa = PemFiles.certificates(fixture("rsa.crt")).get(0);
    assertThatThrownBy(() -> PemFiles.checkPair(ec, rsa, fixture("ec-sec1.key"), fixture("rsa.crt")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("does not match certificate");
  }

  @Test
  void anotherKeyOfTheSameKindIsRefused(@TempDir Path dir) throws Exception {
    // Same curve, other key: the algorithms agree, the signature check does not.
    Path other = dir.resolve("other.key");
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    Files.writeString(
        other,
        "-----BEGIN PRIVATE KEY-----\n"
            + java.util.Base64.getMimeEncoder().encodeToString(g.generateKeyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    PrivateKey key = PemFiles.privateKey(other);
    X509Certificate cert = PemFiles.certificates(fixture("ec.crt")).get(0);
    assertThatThrownBy(() -> PemFiles.checkPair(key, cert, other, fixture("ec.crt")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("does not match certificate");
  }

  @Test
  void encryptedKeysAreRefusedWithAClearMessage() {
    assertThatThrownBy(() -> PemFiles.privateKey(fixture("ec-encrypted-pkcs8.key")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("encrypted private key");
    assertThatThrownBy(() -> PemFiles.privateKey(fixture("rsa-encrypted-pkcs1.key")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("encrypted private key");
  }

  @Test
  void filesWithoutAKeyOrCertificateAreRefused(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> PemFiles.privateKey(fixture("ec.crt")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("File does not contain valid private key");
    assertThatThrownBy(() -> PemFiles.certificates(fixture("ec-sec1.key")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("File does not contain a certificate");
    Path broken = dir.resolve("broken.key");
    Files.writeString(broken, "-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> PemFiles.privateKey(broken))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("File does not contain valid private key");
    assertThatThrownBy(() -> PemFiles.privateKey(dir.resolve("missing.key")))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("cannot read");
  }

  @Test
  void aSec1KeyWithoutItsCurveTakesTheParametersBlock() throws Exception {
    // ECPrivateKey { 1, d } with no [0]: the curve comes only from the EC PARAMETERS block.
    byte[] full = java.util.Base64.getMimeDecoder().decode(
        Files.readString(fixture("ec-sec1-no-public.key")).replaceAll("-----[A-Z ]+-----", ""));
    // version (3 bytes) + OCTET STRING of 32 (34 bytes), inside a new SEQUENCE header.
    byte[] body = java.util.Arrays.copyOfRange(full, 2, 2 + 3 + 34);
    byte[] bare = new byte[2 + body.length];
    bare[0] = 0x30;
    bare[1] = (byte) body.length;
    System.arraycopy(body, 0, bare, 2, body.length);
    byte[] prime256v1 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    assertThatThrownBy(() -> PemFiles.ecToPkcs8(bare, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names no curve");
    java.security.KeyFactory kf = java.security.KeyFactory.getInstance("EC");
    PrivateKey k = kf.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(PemFiles.ecToPkcs8(bare, prime256v1)));
    assertThat(((java.security.interfaces.ECPrivateKey) k).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(fixture("ec-sec1.key"))).getS());
  }
}
