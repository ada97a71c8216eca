package dev.breakwater.server.tls;

import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.SslMode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS on both sides, built once per configuration with BoringSSL (netty-tcnative) or the JDK's
 * provider ({@code tls_provider}): toward clients
 * (client_tls_*: Breakwater is the TLS server, after an SSLRequest or a direct TLS handshake with
 * ALPN "postgresql") and toward PostgreSQL (server_tls_*: Breakwater is the TLS client).
 */
public final class Tls {

  /** The ALPN protocol name PostgreSQL 17 uses. */
  public static final String ALPN = "postgresql";

  private final SslMode clientMode;
  private final SslContext clientFacing;
  private final SslMode serverMode;
  private final SslContext serverFacing;
  private final ServerSide serverSide;
  private final SslProvider provider;

  private Tls(
      SslMode clientMode,
      SslContext clientFacing,
      SslMode serverMode,
      SslContext serverFacing,
      ServerSide serverSide,
      SslProvider provider) {
    this.serverSide = serverSide;
    this.provider = provider;
    this.clientMode = clientMode;
    this.clientFacing = clientFacing;
    this.serverMode = serverMode;
    this.serverFacing = serverFacing;
  }

  /**
   * Reads the key, certificate and CA files the settings name.
   *
   * @throws SSLException when a file cannot be read or a mode needs a file that is not set
   */
  public static Tls from(General g) throws SSLException {
    SslMode cm = g.clientTlsSslmode();
    if (g.authType() == AuthType.CERT) {
      if (cm != SslMode.VERIFY_FULL) {
        throw new SSLException("auth_type=cert requires client_tls_sslmode=verify-full");
      }
      if (g.clientTlsCaFile() == null) {
        throw new SSLException("auth_type=cert requires client_tls_ca_file");
      }
    }
    SslProvider provider = provider(g);
    SslContext client = null;
    if (cm != SslMode.DISABLE) {
      if (g.clientTlsCertFile() == null || g.clientTlsKeyFile() == null) {
        if (cm.compareTo(SslMode.REQUIRE) >= 0) {
          throw new SSLException(
              "client_tls_sslmode = " + cm.configName() + " needs client_tls_key_file and client_tls_cert_file");
        }
      } else {
        PrivateKey key = PemFiles.privateKey(g.clientTlsKeyFile());
        List<X509Certificate> chain = PemFiles.certificates(g.clientTlsCertFile());
        PemFiles.checkPair(key, chain.get(0), g.clientTlsKeyFile(), g.clientTlsCertFile());
        SslContextBuilder b =
            SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                .sslProvider(provider)
                .protocols(protocols(g.clientTlsProtocols()))
                .applicationProtocolConfig(
                    new ApplicationProtocolConfig(
                        Protocol.ALPN,
                        SelectorFailureBehavior.NO_ADVERTISE,
                        SelectedListenerFailureBehavior.ACCEPT,
                        ALPN));
        if (cm == SslMode.VERIFY_CA || cm == SslMode.VERIFY_FULL) {
          if (g.clientTlsCaFile() == null) {
            throw new SSLException("client_tls_sslmode = " + cm.configName() + " needs client_tls_ca_file");
          }
          b.trustManager(PemFiles.certificates(g.clientTlsCaFile()).toArray(X509Certificate[]::new))
              .clientAuth(ClientAuth.REQUIRE);
        } else if (g.clientTlsCaFile() != null) {
          b.trustManager(PemFiles.certificates(g.clientTlsCaFile()).toArray(X509Certificate[]::new))
              .clientAuth(ClientAuth.OPTIONAL);
        }
        ciphers(b, g.clientTlsCiphers(), g.clientTls13Ciphers(), "client");
        client = b.build();
        issueTickets(client);
      }
    }
    SslMode sm = g.serverTlsSslmode();
    SslContext server = null;
    if (sm != SslMode.DISABLE) {
      SslContextBuilder b =
          SslContextBuilder.forClient()
              .sslProvider(provider)
              .protocols(protocols(g.serverTlsProtocols()));
      if (sm == SslMode.VERIFY_CA || sm == SslMode.VERIFY_FULL) {
        if (g.serverTlsCaFile() != null) {
          b.trustManager(PemFiles.certificates(g.serverTlsCaFile()).toArray(X509Certificate[]::new));
        }
      } else {
        // require, prefer, allow: encrypt, verify nothing, as libpq does in these modes.
        b.trustManager(InsecureTrustManagerFactory.INSTANCE);
      }
      if (g.serverTlsCertFile() != null && g.serverTlsKeyFile() != null) {
        PrivateKey key = PemFiles.privateKey(g.serverTlsKeyFile());
        List<X509Certificate> chain = PemFiles.certificates(g.serverTlsCertFile());
        PemFiles.checkPair(key, chain.get(0), g.serverTlsKeyFile(), g.serverTlsCertFile());
        b.keyManager(key, chain.toArray(X509Certificate[]::new));
      }
      ciphers(b, g.serverTlsCiphers(), g.serverTls13Ciphers(), "server");
      server = b.build();
    }
    return new Tls(cm, client, sm, server, ServerSide.of(g), provider);
  }

  /**
   * The implementation {@code tls_provider} picks. BoringSSL always offers all its TLS 1.3
   * suites, so a {@code client_tls13_ciphers} or {@code server_tls13_ciphers} setting makes
   * {@code auto} take the JDK's provider, which honours it.
   */
  static SslProvider provider(General g) throws SSLException {
    boolean tls13Ciphers = !blank(g.clientTls13Ciphers()) || !blank(g.serverTls13Ciphers());
    switch (g.tlsProvider()) {
      case JDK:
        return SslProvider.JDK;
      case OPENSSL:
        if (!OpenSsl.isAvailable()) {
          throw new SSLException(
              "tls_provider = openssl, but BoringSSL (netty-tcnative) cannot be loaded: " + OpenSsl.unavailabilityCause());
        }
        if (tls13Ciphers) {
          throw new SSLException(
              "tls_provider = openssl cannot restrict TLS 1.3 cipher suites (BoringSSL offers all of them):"
                  + " leave client_tls13_ciphers and server_tls13_ciphers empty, or use tls_provider = jdk");
        }
        return SslProvider.OPENSSL;
      default:
        return OpenSsl.isAvailable() && !tls13Ciphers ? SslProvider.OPENSSL : SslProvider.JDK;
    }
  }

  /**
   * The process's session ticket keys: made once, so that a ticket stays good across a reload
   * (new contexts) and only a restart forgets it, as with PgBouncer.
   */
  private static final class TicketKeys {
    static final io.netty.handler.ssl.OpenSslSessionTicketKey KEY = make();

    private static io.netty.handler.ssl.OpenSslSessionTicketKey make() {
      java.security.SecureRandom random = new java.security.SecureRandom();
      byte[] name = new byte[io.netty.handler.ssl.OpenSslSessionTicketKey.NAME_SIZE];
      byte[] hmac = new byte[io.netty.handler.ssl.OpenSslSessionTicketKey.HMAC_KEY_SIZE];
      byte[] aes = new byte[io.netty.handler.ssl.OpenSslSessionTicketKey.AES_KEY_SIZE];
      random.nextBytes(name);
      random.nextBytes(hmac);
      random.nextBytes(aes);
      return new io.netty.handler.ssl.OpenSslSessionTicketKey(name, hmac, aes);
    }
  }

  /**
   * Session tickets toward clients under one key for the whole process: a BoringSSL context would
   * otherwise make its own, and every reload (which builds new contexts) would make the tickets
   * clients hold worthless. The JDK's provider keeps its own keys.
   */
  private static void issueTickets(SslContext context) {
    if (context.sessionContext() instanceof io.netty.handler.ssl.OpenSslSessionContext openssl) {
      openssl.setTicketKeys(TicketKeys.KEY);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** The implementation in use, as logged at start: {@code BoringSSL} or {@code JDK}. */
  public String providerName() {
    return provider == SslProvider.JDK ? "JDK" : OpenSsl.versionString();
  }

  /**
   * The settings that shape TLS toward PostgreSQL, with the contents of the files they name: when
   * they change, servers made under the old ones are replaced (PgBouncer does the same, comparing
   * file contents too), so that a stricter setting or a rotated certificate is not dodged by
   * connections kept from before.
   */
  public record ServerSide(
      SslMode mode,
      String caFile,
      String keyFile,
      String certFile,
      String protocols,
      String ciphers,
      String tls13Ciphers) {
    static ServerSide of(General g) throws SSLException {
      if (g.serverTlsSslmode() == SslMode.DISABLE) {
        return new ServerSide(SslMode.DISABLE, null, null, null, null, null, null);
      }
      return new ServerSide(
          g.serverTlsSslmode(),
          fingerprint(g.serverTlsCaFile()),
          fingerprint(g.serverTlsKeyFile()),
          fingerprint(g.serverTlsCertFile()),
          g.serverTlsProtocols(),
          g.serverTlsCiphers(),
          g.serverTls13Ciphers());
    }

    /** The path and a SHA-256 of the file's bytes; null for no file. */
    private static String fingerprint(Path file) throws SSLException {
      if (file == null) {
        return null;
      }
      try {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(file));
        return file + " sha256:" + java.util.HexFormat.of().formatHex(digest);
      } catch (java.io.IOException e) {
        throw new SSLException("cannot read " + file + ": " + e.getMessage());
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The server-side settings these contexts were built from. */
  public ServerSide serverSide() {
    return serverSide;
  }

  /**
   * Whether a client certificate names {@code name}: its subject's common name, or one of its DNS
   * subject alternative names, is exactly that name.
   */
  public static boolean certificateNames(X509Certificate cert, String name) {
    return namesOf(cert).contains(name);
  }

  /** A certificate's common names and DNS alternative names: who it says the client is. */
  public static List<String> namesOf(X509Certificate cert) {
    List<String> names = new java.util.ArrayList<>();
    try {
      javax.naming.ldap.LdapName dn = new javax.naming.ldap.LdapName(cert.getSubjectX500Principal().getName());
      for (javax.naming.ldap.Rdn rdn : dn.getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          names.add(String.valueOf(rdn.getValue()));
        }
      }
      java.util.Collection<List<?>> alt = cert.getSubjectAlternativeNames();
      if (alt != null) {
        for (List<?> entry : alt) {
          if (entry.size() >= 2 && Integer.valueOf(2).equals(entry.get(0))) {
            names.add(String.valueOf(entry.get(1)));
          }
        }
      }
    } catch (javax.naming.InvalidNameException | java.security.cert.CertificateParsingException e) {
      return names;
    }
    return names;
  }

  /**
   * A connection's TLS as PgBouncer's SHOW CLIENTS and SHOW SERVERS print it: protocol and cipher
   * (OpenSSL's name), as in {@code TLSv1.3/TLS_AES_256_GCM_SHA384}; empty without TLS or before
   * the handshake is done.
   */
  public static String describe(io.netty.channel.Channel channel) {
    SslHandler h = channel == null ? null : channel.pipeline().get(SslHandler.class);
    if (h == null || !h.handshakeFuture().isSuccess()) {
      return "";
    }
    javax.net.ssl.SSLSession session = h.engine().getSession();
    String suite = session.getCipherSuite();
    String openssl = io.netty.handler.ssl.CipherSuiteConverter.toOpenSsl(suite, false);
    return session.getProtocol() + "/" + (openssl == null ? suite : openssl);
  }

  /**
   * Why a handshake failed, in words: BoringSSL's engine reports "General OpenSslEngine problem"
   * and keeps the reason (an untrusted certificate, a wrong host name) in the causes beneath.
   */
  public static String reason(Throwable failure) {
    String text = String.valueOf(failure.getMessage());
    Throwable c = failure.getCause();
    for (int depth = 0; c != null && depth < 8; depth++, c = c.getCause()) {
      if (c.getMessage() != null && !text.contains(c.getMessage())) {
        text = c.getMessage();
      }
    }
    return text;
  }

  /** Whether clients are offered TLS. */
  public boolean offersClientTls() {
    return clientFacing != null;
  }

  /** Whether a client without TLS is refused. */
  public boolean requiresClientTls() {
    return clientMode.compareTo(SslMode.REQUIRE) >= 0;
  }

  public SslContext clientFacing() {
    return clientFacing;
  }

  public SslHandler newClientHandler(ByteBufAllocator alloc) {
    return clientFacing.newHandler(alloc);
  }

  public SslMode serverMode() {
    return serverMode;
  }

  /** Whether servers are asked for TLS. */
  public boolean asksServerTls() {
    return serverFacing != null;
  }

  /** Whether a server that refuses TLS is given up. */
  public boolean requiresServerTls() {
    return serverMode.compareTo(SslMode.REQUIRE) >= 0;
  }

  /** A handler toward PostgreSQL at host:port, checking the host name in verify-full. */
  public SslHandler newServerHandler(ByteBufAllocator alloc, String host, int port) {
    SslHandler h = serverFacing.newHandler(alloc, host, port);
    if (serverMode == SslMode.VERIFY_FULL) {
      SSLEngine engine = h.engine();
      SSLParameters p = engine.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      engine.setSSLParameters(p);
    }
    return h;
  }

  /** PgBouncer's protocol words: secure (TLS 1.2 and 1.3), all, legacy, or a list. */
  static String[] protocols(String setting) {
    String s = setting == null ? "secure" : setting.trim().toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    for (String word : s.split("[,:\\s]+")) {
      switch (word) {
        case "":
          break;
        case "secure":
        case "default":
          out.add("TLSv1.2");
          out.add("TLSv1.3");
          break;
        case "all":
        case "legacy":
          out.add("TLSv1");
          out.add("TLSv1.1");
          out.add("TLSv1.2");
          out.add("TLSv1.3");
          break;
        case "tlsv1.0":
        case "tlsv1":
          out.add("TLSv1");
          break;
        case "tlsv1.1":
          out.add("TLSv1.1");
          break;
        case "tlsv1.2":
          out.add("TLSv1.2");
          break;
        case "tlsv1.3":
          out.add("TLSv1.3");
          break;
        default:
          throw new IllegalArgumentException("unknown TLS protocol \"" + word + "\"");
      }
    }
    return out.stream().distinct().toArray(String[]::new);
  }

  /**
   * Puts the suites of {@code tls_ciphers} (TLS 1.2 and older, OpenSSL syntax) and
   * {@code tls13_ciphers} in place, when either is set.
   */
  private static void ciphers(SslContextBuilder b, String ciphers, String tls13, String side) throws SSLException {
    List<String> suites = cipherSuites(ciphers, tls13, side);
    if (suites != null) {
      b.ciphers(suites, SupportedCipherSuiteFilter.INSTANCE);
    }
  }

  /**
   * The JDK suite names for PgBouncer's two cipher settings, or null to keep the JDK's defaults.
   * OpenSSL cipher names (ECDHE-RSA-AES128-GCM-SHA256) become the JDK's names; JDK or IANA names
   * (TLS_...) are taken as they are; {@code !name} takes a named suite out. OpenSSL's selection
   * words (HIGH, DEFAULT, aRSA...) are not evaluated: the JDK's default suites, which already leave
   * out anonymous, NULL, export, RC4 and MD5 suites, stand for them, as do PgBouncer's words
   * default, secure, fast, normal, all and legacy. Either setting naming no suite the JDK has is an
   * error, rather than a configuration whose every handshake fails.
   */
  static List<String> cipherSuites(String ciphers, String tls13, String side) throws SSLException {
    String c = ciphers == null ? "" : ciphers.trim();
    String t = tls13 == null ? "" : tls13.trim();
    boolean defaultOlder = c.isEmpty() || PGBOUNCER_CIPHER_WORDS.contains(c.toLowerCase(Locale.ROOT));
    if (defaultOlder && t.isEmpty()) {
      return null;
    }
    SSLParameters jdk;
    SSLParameters supported;
    try {
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getDefault();
      jdk = ctx.getDefaultSSLParameters();
      supported = ctx.getSupportedSSLParameters();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new SSLException("no default TLS context: " + e.getMessage());
    }
    java.util.Set<String> available = java.util.Set.of(supported.getCipherSuites());
    List<String> older = new ArrayList<>();
    List<String> newer = new ArrayList<>();
    for (String suite : jdk.getCipherSuites()) {
      (isTls13(suite) ? newer : older).add(suite);
    }
    if (!defaultOlder) {
      List<String> named = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      boolean selection = false;
      for (String word : c.split("[:,\\s]+")) {
        if (word.isEmpty()) {
          continue;
        }
        char op = word.charAt(0);
        if (op == '!' || op == '-') {
          String name = javaName(word.substring(1));
          if (name != null) {
            removed.add(name);
          }
          continue;
        }
        if (op == '+' || op == '@') {
          continue;
        }
        String name = javaName(word);
        if (name == null) {
          selection = true;
        } else if (!isTls13(name)) {
          named.add(name);
        }
      }
      List<String> chosen = new ArrayList<>();
      for (String n : named) {
        if (available.contains(n) && !chosen.contains(n)) {
          chosen.add(n);
        }
      }
      if (!named.isEmpty() && chosen.isEmpty() && !selection) {
        throw new SSLException(side + "_tls_ciphers: none of the ciphers is available: " + c);
      }
      if (selection) {
        for (String n : older) {
          if (!chosen.contains(n)) {
            chosen.add(n);
          }
        }
      }
      chosen.removeAll(removed);
      older = chosen;
    }
    if (!t.isEmpty()) {
      List<String> chosen = new ArrayList<>();
      for (String word : t.split("[:,\\s]+")) {
        if (!word.isEmpty() && available.contains(word) && isTls13(word) && !chosen.contains(word)) {
          chosen.add(word);
        }
      }
      if (chosen.isEmpty()) {
        throw new SSLException(side + "_tls13_ciphers: failed to set the TLSv1.3 cipher suites: " + t);
      }
      newer = chosen;
    }
    List<String> out = new ArrayList<>(newer);
    out.addAll(older);
    if (out.isEmpty()) {
      throw new SSLException(side + "_tls_ciphers: no cipher suite left: " + c);
    }
    return out;
  }

  private static final java.util.Set<String> PGBOUNCER_CIPHER_WORDS =
      java.util.Set.of("default", "secure", "fast", "normal", "all", "legacy");

  private static boolean isTls13(String suite) {
    return suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
  }

  /** A suite's JDK name from an OpenSSL or JDK name; null for an OpenSSL selection word. */
  private static String javaName(String word) {
    if (word.startsWith("TLS_") || word.startsWith("SSL_")) {
      return word;
    }
    return io.netty.handler.ssl.CipherSuiteConverter.toJava(word, "TLS");
  }
}
