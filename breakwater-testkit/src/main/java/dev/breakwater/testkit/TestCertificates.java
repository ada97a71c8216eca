package dev.breakwater.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time, and certificates it signs, written as PEM files
 * (certificates, and PKCS#8 keys) the way PostgreSQL and PgBouncer configurations name them.
 * {@link #close()} deletes the files.
 */
public final class TestCertificates implements AutoCloseable {

  /** A certificate and its key, as files. */
  public record Issued(Path certificate, Path key) {}

  private final String name;
  private final KeyPair caKeys;
  private final X509Certificate caCert;
  private final Path dir;

  private TestCertificates(String name, KeyPair caKeys, X509Certificate caCert, Path dir) {
    this.name = name;
    this.caKeys = caKeys;
    this.caCert = caCert;
    this.dir = dir;
  }

  /** A new CA, its files in a new temporary directory. */
  public static TestCertificates newAuthority(String name) {
    try {
      Path dir = Files.createTempDirectory("bw-certs-");
      KeyPair keys = keyPair();
      X500Name subject = new X500Name("CN=" + name);
      X509Certificate cert = sign(subject, keys, subject, keys.getPrivate(), true, null);
      TestCertificates ca = new TestCertificates(name, keys, cert, dir);
      writePem(dir.resolve(name + "-ca.crt"), cert);
      return ca;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path caFile() {
    return dir.resolve(name + "-ca.crt");
  }

  /** A certificate for {@code commonName}, valid for the DNS names and addresses given. */
  public Issued issue(String commonName, String... altNames) {
    try {
      KeyPair keys = keyPair();
      X509Certificate cert =
          sign(new X500Name("CN=" + commonName), keys, new X500Name("CN=" + name), caKeys.getPrivate(), false, altNames);
      Path crt = dir.resolve(commonName + ".crt");
      Path key = dir.resolve(commonName + ".key");
      writePem(crt, cert);
      writePem(key, new JcaPKCS8Generator(keys.getPrivate(), null).generate());
      // PostgreSQL refuses a key file that others can read.
      key.toFile().setReadable(false, false);
      key.toFile().setReadable(true, true);
      return new Issued(crt, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes the directory of this authority's files. */
  @Override
  public void close() {
    TempFiles.delete(dir);
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256, new SecureRandom());
    return g.generateKeyPair();
  }

  private static X509Certificate sign(
      X500Name subject, KeyPair subjectKeys, X500Name issuer, PrivateKey issuerKey, boolean ca, String[] altNames)
      throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            new BigInteger(64, new SecureRandom()),
            Date.from(now.minus(Duration.ofDays(1))),
            Date.from(now.plus(Duration.ofDays(30))),
            subject,
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    }
    if (altNames != null && altNames.length > 0) {
      GeneralName[] names = new GeneralName[altNames.length];
      for (int i = 0; i < altNames.length; i++) {
        boolean ip = Character.isDigit(altNames[i].charAt(0)) || altNames[i].contains(":");
        names[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, altNames[i]);
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    }
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static void writePem(Path file, Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    Files.writeString(file, sw.toString());
    if (!(o instanceof java.security.cert.Certificate)) {
      // A key: readable by its owner only, as libpq and pgjdbc want a client key to be.
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
  }
}
