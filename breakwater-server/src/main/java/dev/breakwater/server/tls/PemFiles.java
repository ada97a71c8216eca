package dev.breakwater.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Reads the PEM files PgBouncer's TLS settings name, with no library beyond the JDK: certificates
 * (any text around the blocks, as {@code openssl ca} writes, is skipped), and unencrypted private
 * keys in the three forms OpenSSL writes: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) and SEC1 ({@code BEGIN EC PRIVATE KEY}, the form of
 * {@code openssl ecparam -genkey}, possibly after a {@code BEGIN EC PARAMETERS} block). The JDK
 * reads only PKCS#8, so a PKCS#1 or SEC1 key is wrapped in a PKCS#8 PrivateKeyInfo first.
 */
public final class PemFiles {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  /** rsaEncryption, 1.2.840.113549.1.1.1. */
  private static final byte[] OID_RSA = {
    0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
  };
  /** id-ecPublicKey, 1.2.840.10045.2.1. */
  private static final byte[] OID_EC = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  private static final int SEQUENCE = 0x30;
  private static final int INTEGER = 0x02;
  private static final int OCTET_STRING = 0x04;
  private static final int NULL = 0x05;
  private static final int OID = 0x06;
  private static final int CONTEXT_0 = 0xa0;

  private PemFiles() {}

  private record Block(String label, byte[] der) {}

  /** The certificates of a PEM file, in order; at least one. */
  public static List<X509Certificate> certificates(Path file) throws SSLException {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (Block b : blocks(file)) {
        if (b.label().equals("CERTIFICATE") || b.label().equals("TRUSTED CERTIFICATE")) {
          out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
        }
      }
    } catch (CertificateException e) {
      throw new SSLException("File does not contain a valid certificate: " + file + " (" + e.getMessage() + ")");
    }
    if (out.isEmpty()) {
      throw new SSLException("File does not contain a certificate: " + file);
    }
    return out;
  }

  /** The private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not encrypted. */
  public static PrivateKey privateKey(Path file) throws SSLException {
    List<Block> blocks = blocks(file);
    byte[] ecParameters = null;
    for (Block b : blocks) {
      if (b.label().equals("EC PARAMETERS")) {
        ecParameters = b.der();
      }
    }
    for (Block b : blocks) {
      try {
        switch (b.label()) {
          case "PRIVATE KEY":
            return pkcs8(b.der());
          case "RSA PRIVATE KEY":
            return pkcs8(rsaToPkcs8(b.der()));
          case "EC PRIVATE KEY":
            return pkcs8(ecToPkcs8(b.der(), ecParameters));
          case "ENCRYPTED PRIVATE KEY":
            throw new SSLException("File contains an encrypted private key, which cannot be read: " + file);
          default:
            break;
        }
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw new SSLException("File does not contain valid private key: " + file + " (" + e.getMessage() + ")");
      }
    }
    throw new SSLException("File does not contain valid private key: " + file);
  }

  /**
   * Fails when {@code key} is not the private key of {@code certificate}: a signature made with
   * the key must verify with the certificate's public key.
   */
  public static void checkPair(PrivateKey key, X509Certificate certificate, Path keyFile, Path certFile)
      throws SSLException {
    PublicKey pub = certificate.getPublicKey();
    if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
      throw new SSLException(
          "private key " + keyFile + " (" + key.getAlgorithm() + ") does not match certificate " + certFile
              + " (" + pub.getAlgorithm() + ")");
    }
    String alg =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "DSA" -> "SHA256withDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
          default -> null;
        };
    if (alg == null) {
      return;
    }
    try {
      byte[] probe = "breakwater key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // falls through: not a pair
    }
    throw new SSLException("private key " + keyFile + " does not match certificate " + certFile);
  }

  private static List<Block> blocks(Path file) throws SSLException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new SSLException("cannot read " + file + ": " + e.getMessage());
    }
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String body = m.group(2);
      if (body.contains(":")) {
        // Proc-Type / DEK-Info headers: an OpenSSL-encrypted traditional key.
        out.add(new Block("ENCRYPTED PRIVATE KEY", new byte[0]));
        continue;
      }
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
      } catch (IllegalArgumentException e) {
        throw new SSLException("bad PEM block \"" + m.group(1) + "\" in " + file);
      }
    }
    return out;
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    GeneralSecurityException last = null;
    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  /** RSAPrivateKey (PKCS#1) inside a PrivateKeyInfo with rsaEncryption and NULL parameters. */
  static byte[] rsaToPkcs8(byte[] pkcs1) {
    new Der(pkcs1).expect(SEQUENCE);
    return wrap(concat(tlv(OID, OID_RSA), tlv(NULL, new byte[0])), pkcs1);
  }

  /**
   * ECPrivateKey (SEC1, RFC 5915) inside a PrivateKeyInfo with id-ecPublicKey and the curve: the
   * key's own [0] parameters, or else the file's EC PARAMETERS block.
   */
  static byte[] ecToPkcs8(byte[] sec1, byte[] ecParameters) {
    Der seq = new Der(new Der(sec1).expect(SEQUENCE));
    seq.expect(INTEGER);
    seq.expect(OCTET_STRING);
    byte[] curve = null;
    while (seq.more()) {
      int tag = seq.peek();
      byte[] content = seq.expect(tag);
      if (tag == CONTEXT_0) {
        curve = content;
      }
    }
    if (curve == null) {
      curve = ecParameters;
    }
    if (curve == null) {
      throw new IllegalArgumentException("EC private key names no curve");
    }
    Der params = new Der(curve);
    if (params.peek() != OID) {
      throw new IllegalArgumentException("EC private key with explicit curve parameters; only named curves are read");
    }
    byte[] curveOid = params.expect(OID);
    return wrap(concat(tlv(OID, OID_EC), tlv(OID, curveOid)), sec1);
  }

  private static byte[] wrap(byte[] algorithmParams, byte[] key) {
    byte[] version = tlv(INTEGER, new byte[] {0});
    byte[] algorithm = tlv(SEQUENCE, algorithmParams);
    return tlv(SEQUENCE, concat(version, algorithm, tlv(OCTET_STRING, key)));
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A reader of consecutive DER elements (definite lengths only, as DER has). */
  private static final class Der {
    private final byte[] b;
    private int pos;

    Der(byte[] b) {
      this.b = b;
    }

    boolean more() {
      return pos < b.length;
    }

    int peek() {
      if (pos >= b.length) {
        throw new IllegalArgumentException("truncated DER");
      }
      return b[pos] & 0xff;
    }

    /** The content of the next element, which must have this tag. */
    byte[] expect(int tag) {
      if (peek() != tag) {
        throw new IllegalArgumentException(
            "unexpected DER tag 0x" + Integer.toHexString(peek()) + ", wanted 0x" + Integer.toHexString(tag));
      }
      pos++;
      if (pos >= b.length) {
        throw new IllegalArgumentException("truncated DER");
      }
      int len = b[pos++] & 0xff;
      if (len >= 0x80) {
        int bytes = len & 0x7f;
        if (bytes == 0 || bytes > 3) {
          throw new IllegalArgumentException("unsupported DER length");
        }
        len = 0;
        for (int i = 0; i < bytes; i++) {
          if (pos >= b.length) {
            throw new IllegalArgumentException("truncated DER");
          }
          len = (len << 8) | (b[pos++] & 0xff);
        }
      }
      if (len > b.length - pos) {
        throw new IllegalArgumentException("truncated DER");
      }
      byte[] content = java.util.Arrays.copyOfRange(b, pos, pos + len);
      pos += len;
      return content;
    }
  }
}
