package dev.breakwater.server.frontend;

import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * auth_type = hba: rules in pg_hba.conf syntax, first match wins, no match refuses. Connection
 * types local, host, hostssl and hostnossl; databases and users as names, lists or {@code all}
 * ({@code sameuser} for databases), quoted names, lists with blanks around the commas; addresses as
 * CIDR, address and mask, or {@code all}; methods trust, reject, password, md5, scram-sha-256
 * (PgBouncer's peer, cert, ldap and pam load, and a connection they match is refused).
 */
public final class Hba {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Hba.class);

  /**
   * What a matching rule says. {@code authType} is null for reject; {@code peer} is PostgreSQL's
   * peer method (the Unix socket client's OS user name), and {@code map} the rule's {@code map=}
   * option: the auth_ident_file map its OS or certificate name goes through, or null.
   */
  public record Decision(AuthType authType, int line, boolean peer, String map) {
    public Decision(AuthType authType, int line) {
      this(authType, line, false, null);
    }

    public boolean rejected() {
      return authType == null && !peer;
    }
  }

  private record Rule(
      int line, String type, Set<String> databases, Set<String> users, byte[] network, int prefix, AuthType method,
      boolean peer, String map) {}

  private final List<Rule> rules;

  private Hba(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  public static Hba load(Path file) throws ConfigException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new ConfigException(file, 0, "auth_hba_file", file.toString(), "cannot read: " + e.getMessage());
    }
    return parse(lines, file);
  }

  static Hba parse(List<String> lines, Path file) throws ConfigException {
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      int n = i + 1;
      List<List<Item>> fields = fields(file, n, line);
      if (fields.isEmpty()) {
        continue;
      }
      // Single values as text; the database and user lists are read from the items.
      String[] f = new String[fields.size()];
      for (int k = 0; k < f.length; k++) {
        List<Item> items = fields.get(k);
        if (k != 1 && k != 2 && items.size() > 1) {
          throw bad(file, n, line, "a list where one value is expected");
        }
        f[k] = items.get(0).text();
      }
      String type = f[0].toLowerCase(Locale.ROOT);
      int methodAt;
      byte[] network = null;
      int prefix = 0;
      switch (type) {
        case "local":
          if (f.length < 4) {
            throw bad(file, n, line, "expected: local DATABASE USER METHOD");
          }
          methodAt = 3;
          break;
        case "host":
        case "hostssl":
        case "hostnossl":
          if (f.length < 5) {
            throw bad(file, n, line, "expected: " + type + " DATABASE USER ADDRESS METHOD");
          }
          String address = f[3];
          methodAt = 4;
          if (address.equals("all")) {
            network = new byte[0];
          } else if (address.contains("/")) {
            network = parseAddress(file, n, line, address.substring(0, address.indexOf('/')));
            try {
              prefix = Integer.parseInt(address.substring(address.indexOf('/') + 1));
            } catch (NumberFormatException e) {
              throw bad(file, n, line, "invalid CIDR mask in \"" + address + "\"");
            }
            if (prefix < 0 || prefix > network.length * 8) {
              throw bad(file, n, line, "invalid CIDR mask in \"" + address + "\"");
            }
          } else {
            network = parseAddress(file, n, line, address);
            if (f.length < 6) {
              throw bad(file, n, line, "an address without /mask needs a netmask column");
            }
            byte[] mask = parseAddress(file, n, line, f[4]);
            prefix = new java.math.BigInteger(1, mask).bitCount();
            methodAt = 5;
          }
          break;
        default:
          throw bad(file, n, line, "unsupported connection type \"" + f[0] + "\" (allowed: local, host, hostssl, hostnossl)");
      }
      AuthType method;
      boolean peer = false;
      String m = f[methodAt].toLowerCase(Locale.ROOT);
      switch (m) {
        case "trust":
          method = AuthType.TRUST;
          break;
        case "reject":
          method = null;
          break;
        case "password":
          method = AuthType.PLAIN;
          break;
        case "md5":
          method = AuthType.MD5;
          break;
        case "scram-sha-256":
          method = AuthType.SCRAM_SHA_256;
          break;
        case "cert":
          method = AuthType.CERT;
          break;
        case "peer":
          if (!type.equals("local")) {
            throw bad(file, n, line, "peer is only for local (Unix socket) lines");
          }
          method = null;
          peer = true;
          break;
        case "ldap":
        case "pam":
          // PgBouncer's methods that Breakwater lacks: the file loads (PgBouncer's own files use
          // them), and a connection that matches such a line is refused.
          log.warn("{}:{}: method \"{}\" is not supported: connections that match this line are refused", file, n, m);
          method = null;
          break;
        default:
          throw bad(file, n, line, "unsupported method \"" + f[methodAt] + "\" (allowed: trust, reject, password, md5, scram-sha-256, cert, peer)");
      }
      String map = null;
      for (int k = methodAt + 1; k < f.length; k++) {
        if (f[k].startsWith("map=")) {
          map = f[k].substring(4);
        }
      }
      rules.add(new Rule(n, type, names(file, n, line, fields.get(1)), names(file, n, line, fields.get(2)), network, prefix, method,
          peer, map));
    }
    return new Hba(rules);
  }

  /**
   * The rule for a connection; {@code address} is null for a Unix socket connection.
   *
   * @return the first matching rule, or a rejection with line 0 when none matches
   */
  public Decision decide(String database, String user, InetAddress address, boolean tls) {
    return decide(database, user, address, tls, false);
  }

  /**
   * The rule for a connection, {@code physicalReplication} for a physical walsender client, which,
   * as in PostgreSQL, only lines whose database is the keyword {@code replication} match.
   */
  public Decision decide(
      String database, String user, InetAddress address, boolean tls, boolean physicalReplication) {
    for (Rule r : rules) {
      boolean local = address == null;
      switch (r.type()) {
        case "local":
          if (!local) {
            continue;
          }
          break;
        case "host":
          if (local) {
            continue;
          }
          break;
        case "hostssl":
          if (local || !tls) {
            continue;
          }
          break;
        case "hostnossl":
          if (local || tls) {
            continue;
          }
          break;
        default:
          continue;
      }
      boolean databaseMatches =
          physicalReplication ? r.databases().contains(KEYWORD + "replication") : matches(r.databases(), database, user);
      if (!databaseMatches || !matches(r.users(), user, null)) {
        continue;
      }
      if (!local && !inNetwork(address.getAddress(), r.network(), r.prefix())) {
        continue;
      }
      return new Decision(r.method(), r.line(), r.peer(), r.map());
    }
    return new Decision(null, 0);
  }

  private static boolean matches(Set<String> names, String value, String sameuser) {
    return names.contains(KEYWORD + "all")
        || names.contains(value)
        || (sameuser != null && names.contains(KEYWORD + "sameuser") && value.equals(sameuser));
  }

  /** A name or keyword of a line; a quoted one is always a name ({@code "all"} is a user called all). */
  private record Item(String text, boolean quoted) {}

  /** Marks the keywords (all, sameuser, replication) in a set of names: no name has it. */
  private static final String KEYWORD = "\u0000";

  /**
   * The fields of a line, as pg_hba.conf has them: separated by blanks, a comma-separated list in
   * one field (blanks around the commas allowed), double-quoted names with "" for a quote, and a
   * comment from # outside quotes.
   */
  private static List<List<Item>> fields(Path file, int n, String line) throws ConfigException {
    List<List<Item>> fields = new ArrayList<>();
    int i = 0;
    int len = line.length();
    while (true) {
      while (i < len && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i >= len || line.charAt(i) == '#') {
        return fields;
      }
      List<Item> field = new ArrayList<>();
      while (true) {
        StringBuilder text = new StringBuilder();
        boolean quoted = false;
        while (i < len) {
          char c = line.charAt(i);
          if (c == '"') {
            quoted = true;
            i++;
            while (true) {
              if (i >= len) {
                throw bad(file, n, line, "unterminated quoted name");
              }
              char q = line.charAt(i++);
              if (q != '"') {
                text.append(q);
              } else if (i < len && line.charAt(i) == '"') {
                text.append('"');
                i++;
              } else {
                break;
              }
            }
          } else if (Character.isWhitespace(c) || c == ',' || c == '#') {
            break;
          } else {
            text.append(c);
            i++;
          }
        }
        field.add(new Item(text.toString(), quoted));
        int j = i;
        while (j < len && Character.isWhitespace(line.charAt(j))) {
          j++;
        }
        if (j < len && line.charAt(j) == ',') {
          i = j + 1;
          while (i < len && Character.isWhitespace(line.charAt(i))) {
            i++;
          }
          continue;
        }
        break;
      }
      fields.add(field);
    }
  }

  private static boolean inNetwork(byte[] addr, byte[] network, int prefix) {
    if (network.length == 0) {
      return true;
    }
    if (addr.length != network.length) {
      // An IPv4 client on an IPv6 socket arrives mapped: compare its last four bytes.
      if (addr.length == 16 && network.length == 4 && isV4Mapped(addr)) {
        addr = java.util.Arrays.copyOfRange(addr, 12, 16);
      } else {
        return false;
      }
    }
    for (int bit = 0; bit < prefix; bit++) {
      int b = bit / 8;
      int mask = 0x80 >> (bit % 8);
      if ((addr[b] & mask) != (network[b] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
  }

  /**
   * A list of names and keywords; an empty name is a mistake on that line. A name listed twice is
   * taken once, as PostgreSQL and PgBouncer do.
   */
  private static Set<String> names(Path file, int line, String text, List<Item> field) throws ConfigException {
    Set<String> names = new java.util.LinkedHashSet<>();
    for (Item item : field) {
      if (item.text().isEmpty() && !item.quoted()) {
        throw bad(file, line, text, "empty name in a list");
      }
      boolean keyword =
          !item.quoted()
              && (item.text().equals("all") || item.text().equals("sameuser") || item.text().equals("replication"));
      names.add(keyword ? KEYWORD + item.text() : item.text());
    }
    return Set.copyOf(names);
  }

  private static byte[] parseAddress(Path file, int line, String text, String address) throws ConfigException {
    byte[] literal = io.netty.util.NetUtil.createByteArrayFromIpAddressString(address);
    if (literal == null) {
      throw bad(file, line, text, "invalid IP address \"" + address + "\" (host names are not supported)");
    }
    return literal;
  }

  private static ConfigException bad(Path file, int line, String text, String why) {
    return new ConfigException(file, line, "auth_hba_file", text, why);
  }

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByAddress(io.netty.util.NetUtil.createByteArrayFromIpAddressString(literal));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
