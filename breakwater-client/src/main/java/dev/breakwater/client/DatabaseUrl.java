package dev.breakwater.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.postgresql.PGProperty;

/**
 * A database address as the environment hands it out, turned into what pgjdbc takes: a JDBC URL
 * and connection properties.
 *
 * <p>Three forms are read:
 *
 * <ul>
 *   <li>{@code postgres://user:pass@host:port/db?sslmode=require&...} and {@code postgresql://...},
 *       the libpq URIs Neon, Heroku, Supabase, Railway and others give out. User name and password
 *       are percent-decoded; several hosts ({@code h1:5432,h2:5432}) and IPv6 ({@code [::1]:5432})
 *       work. Query parameters are mapped to pgjdbc's names ({@code application_name} becomes
 *       {@code ApplicationName}, {@code target_session_attrs=read-write} becomes {@code
 *       targetServerType=primary}...); parameters pgjdbc knows under their own name pass through;
 *       the rest (Neon's {@code pooling=true}, Prisma's {@code pgbouncer=true}...) are dropped and
 *       listed in {@link #ignoredParameters()}.
 *   <li>{@code jdbc:postgresql://...}, taken as pgjdbc reads it.
 * </ul>
 *
 * <p>{@link #toString()} never shows the password.
 */
public final class DatabaseUrl {

  /** One host of the URL. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public static final int DEFAULT_PORT = 5432;

  /** libpq parameter names that pgjdbc spells differently. */
  private static final Map<String, String> LIBPQ_TO_PGJDBC =
      Map.ofEntries(
          Map.entry("application_name", PGProperty.APPLICATION_NAME.getName()),
          Map.entry("connect_timeout", PGProperty.CONNECT_TIMEOUT.getName()),
          Map.entry("channel_binding", PGProperty.CHANNEL_BINDING.getName()),
          Map.entry("gssencmode", PGProperty.GSS_ENC_MODE.getName()),
          Map.entry("sslnegotiation", PGProperty.SSL_NEGOTIATION.getName()),
          Map.entry("sslmode", PGProperty.SSL_MODE.getName()),
          Map.entry("sslrootcert", PGProperty.SSL_ROOT_CERT.getName()),
          Map.entry("sslcert", PGProperty.SSL_CERT.getName()),
          Map.entry("sslkey", PGProperty.SSL_KEY.getName()),
          Map.entry("sslpassword", PGProperty.SSL_PASSWORD.getName()),
          Map.entry("options", PGProperty.OPTIONS.getName()));

  private final String scheme;
  private final List<HostPort> hosts;
  private final String database;
  private final Properties properties;
  private final List<String> ignored;

  private DatabaseUrl(
      String scheme,
      List<HostPort> hosts,
      String database,
      Properties properties,
      List<String> ignored) {
    this.scheme = scheme;
    this.hosts = List.copyOf(hosts);
    this.database = database;
    this.properties = properties;
    this.ignored = List.copyOf(ignored);
  }

  /** Parses any of the three forms; throws {@link IllegalArgumentException} with the reason. */
  public static DatabaseUrl parse(String url) {
    Objects.requireNonNull(url, "url");
    String u = url.trim();
    String lower = u.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:postgresql:")) {
      return parseJdbc(u);
    }
    if (lower.startsWith("postgres://")) {
      return parseUri("postgres", u.substring("postgres://".length()));
    }
    if (lower.startsWith("postgresql://")) {
      return parseUri("postgresql", u.substring("postgresql://".length()));
    }
    throw new IllegalArgumentException(
        "not a PostgreSQL URL (expected postgres://, postgresql:// or jdbc:postgresql://): "
            + redactedPrefix(u));
  }

  private static DatabaseUrl parseJdbc(String url) {
    Properties parsed = org.postgresql.Driver.parseURL(url, new Properties());
    if (parsed == null) {
      throw new IllegalArgumentException("pgjdbc cannot read this JDBC URL: " + redactedPrefix(url));
    }
    String[] hostList = PGProperty.PG_HOST.getOrDefault(parsed).split(",");
    String[] portList = PGProperty.PG_PORT.getOrDefault(parsed).split(",");
    List<HostPort> hosts = new ArrayList<>();
    for (int i = 0; i < hostList.length; i++) {
      String port = i < portList.length ? portList[i] : portList[portList.length - 1];
      hosts.add(new HostPort(hostList[i], Integer.parseInt(port.trim())));
    }
    String database = PGProperty.PG_DBNAME.getOrDefault(parsed);
    Properties props = new Properties();
    for (String key : parsed.stringPropertyNames()) {
      if (!key.equals(PGProperty.PG_HOST.getName())
          && !key.equals(PGProperty.PG_PORT.getName())
          && !key.equals(PGProperty.PG_DBNAME.getName())) {
        props.setProperty(key, parsed.getProperty(key));
      }
    }
    return new DatabaseUrl("jdbc:postgresql", hosts, database, props, List.of());
  }

  private static DatabaseUrl parseUri(String scheme, String rest) {
    int authorityEnd = indexOfAny(rest, "/?", 0);
    String authority = authorityEnd < 0 ? rest : rest.substring(0, authorityEnd);
    String path = "";
    String query = "";
    if (authorityEnd >= 0) {
      String tail = rest.substring(authorityEnd);
      int q = tail.indexOf('?');
      path = q < 0 ? tail : tail.substring(0, q);
      query = q < 0 ? "" : tail.substring(q + 1);
    }
    Properties props = new Properties();
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
      if (!user.isEmpty()) {
        props.setProperty(PGProperty.USER.getName(), percentDecode(user));
      }
      if (colon >= 0) {
        props.setProperty(PGProperty.PASSWORD.getName(), percentDecode(userInfo.substring(colon + 1)));
      }
      authority = authority.substring(at + 1);
    }
    List<HostPort> hosts = parseHosts(authority);
    String database = path.length() > 1 ? percentDecode(path.substring(1)) : null;

    List<String> ignored = new ArrayList<>();
    Map<String, String> params = new LinkedHashMap<>();
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1));
        params.put(key, value);
      }
    }
    String hostParam = null;
    String portParam = null;
    for (Map.Entry<String, String> p : params.entrySet()) {
      String key = p.getKey();
      String value = p.getValue();
      switch (key) {
        case "host":
          hostParam = value;
          break;
        case "port":
          portParam = value;
          break;
        case "dbname":
          database = value;
          break;
        case "user":
          props.setProperty(PGProperty.USER.getName(), value);
          break;
        case "password":
          props.setProperty(PGProperty.PASSWORD.getName(), value);
          break;
        case "target_session_attrs":
          props.setProperty(PGProperty.TARGET_SERVER_TYPE.getName(), targetServerType(value));
          break;
        case "keepalives":
          props.setProperty(PGProperty.TCP_KEEP_ALIVE.getName(), String.valueOf(!value.equals("0")));
          break;
        default:
          String mapped = LIBPQ_TO_PGJDBC.get(key);
          if (mapped != null) {
            props.setProperty(mapped, value);
          } else if (PGProperty.forName(key) != null) {
            props.setProperty(key, value);
          } else {
            ignored.add(key);
          }
      }
    }
    if (hostParam != null) {
      hosts = parseHosts(hostParam);
    }
    if (portParam != null) {
      String[] ports = portParam.split(",");
      List<HostPort> withPorts = new ArrayList<>();
      for (int i = 0; i < hosts.size(); i++) {
        String port = ports[Math.min(i, ports.length - 1)].trim();
        withPorts.add(new HostPort(hosts.get(i).host(), parsePort(port)));
      }
      hosts = withPorts;
    }
    return new DatabaseUrl(scheme, hosts, database, props, ignored);
  }

  private static List<HostPort> parseHosts(String spec) {
    List<HostPort> hosts = new ArrayList<>();
    for (String part : spec.split(",", -1)) {
      String host;
      int port = DEFAULT_PORT;
      if (part.startsWith("[")) {
        int close = part.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("unclosed [ in IPv6 host: " + part);
        }
        host = part.substring(1, close);
        if (close + 1 < part.length()) {
          if (part.charAt(close + 1) != ':') {
            throw new IllegalArgumentException("bad host: " + part);
          }
          port = parsePort(part.substring(close + 2));
        }
      } else {
        int colon = part.lastIndexOf(':');
        host = colon < 0 ? part : part.substring(0, colon);
        if (colon >= 0 && colon + 1 < part.length()) {
          port = parsePort(part.substring(colon + 1));
        }
      }
      host = percentDecode(host);
      hosts.add(new HostPort(host.isEmpty() ? "localhost" : host, port));
    }
    return hosts;
  }

  private static int parsePort(String s) {
    try {
      int port = Integer.parseInt(s);
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port: " + s);
    }
  }

  private static String targetServerType(String libpq) {
    switch (libpq) {
      case "read-write":
      case "primary":
        return "primary";
      case "read-only":
      case "standby":
        return "secondary";
      case "prefer-standby":
        return "preferSecondary";
      default:
        return "any";
    }
  }

  /** RFC 3986 percent-decoding; unlike form decoding, {@code +} stays a plus. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && isHex(s, i + 1) && isHex(s, i + 2)) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(String s, int i) {
    return i < s.length() && Character.digit(s.charAt(i), 16) >= 0;
  }

  private static int indexOfAny(String s, String chars, int from) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static String redactedPrefix(String url) {
    int at = url.lastIndexOf('@');
    return at < 0 ? url : "..." + url.substring(at);
  }

  /** The JDBC URL without credentials or parameters: {@code jdbc:postgresql://h:p/db}. */
  public String jdbcUrl() {
    StringBuilder sb = new StringBuilder("jdbc:postgresql://");
    for (int i = 0; i < hosts.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(hosts.get(i));
    }
    sb.append('/');
    if (database != null) {
      sb.append(java.net.URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return sb.toString();
  }

  /** A copy of the pgjdbc connection properties: user, password, sslmode and the rest. */
  public Properties properties() {
    Properties copy = new Properties();
    copy.putAll(properties);
    return copy;
  }

  /** A property by its pgjdbc name, or null. */
  public String property(String pgjdbcName) {
    return properties.getProperty(pgjdbcName);
  }

  public List<HostPort> hosts() {
    return hosts;
  }

  /** The database name, or null to let the server use the user name. */
  public String database() {
    return database;
  }

  public String user() {
    return properties.getProperty(PGProperty.USER.getName());
  }

  /** Query parameters that neither libpq's names nor pgjdbc's matched, dropped. */
  public List<String> ignoredParameters() {
    return Collections.unmodifiableList(ignored);
  }

  /** The address for logs: scheme, user, hosts and database, never the password. */
  @Override
  public String toString() {
    String user = user();
    StringBuilder sb = new StringBuilder(scheme).append("://");
    if (user != null) {
      sb.append(user).append(properties.containsKey("password") ? ":***" : "").append('@');
    }
    for (int i = 0; i < hosts.size(); i++) {
      sb.append(i > 0 ? "," : "").append(hosts.get(i));
    }
    return sb.append('/').append(database == null ? "" : database).toString();
  }
}
