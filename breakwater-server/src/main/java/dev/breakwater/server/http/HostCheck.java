package dev.breakwater.server.http;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The Host header check against DNS rebinding: a page of another site whose name comes to resolve
 * to this machine is sent by the browser with that site's name as Host, so only names that mean
 * this listener are accepted: localhost, the address the connection came to (as written in a URL:
 * an IP literal), the name in {@code http_listen_addr}, and {@code http_allowed_hosts} ({@code *}
 * for any). A request without Host comes from no browser and is accepted. Nothing is resolved.
 */
final class HostCheck {

  private HostCheck() {}

  static boolean allowed(String hostHeader, SocketAddress local, String listenAddr, Set<String> allowedHosts) {
    if (hostHeader == null || allowedHosts.contains("*")) {
      return true;
    }
    String host = hostOf(hostHeader.strip().toLowerCase(Locale.ROOT));
    if (host == null || host.isEmpty()) {
      return false;
    }
    if (host.endsWith(".") && host.length() > 1) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.equals("localhost") || allowedHosts.contains(host)
        || (listenAddr != null && host.equals(listenAddr.toLowerCase(Locale.ROOT)))) {
      return true;
    }
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
    if (literal == null || !(local instanceof InetSocketAddress a) || a.getAddress() == null) {
      return false;
    }
    byte[] mine = a.getAddress().getAddress();
    return Arrays.equals(literal, mine) || Arrays.equals(literal, ipv4Of(mine)) || Arrays.equals(ipv4Of(literal), mine);
  }

  /** The host of a Host header: without the port, an IPv6 literal without its brackets; null if malformed. */
  static String hostOf(String header) {
    if (header.startsWith("[")) {
      int end = header.indexOf(']');
      if (end < 0 || (end + 1 < header.length() && header.charAt(end + 1) != ':')) {
        return null;
      }
      return header.substring(1, end);
    }
    int colon = header.indexOf(':');
    if (colon >= 0 && header.indexOf(':', colon + 1) >= 0) {
      return null; // an IPv6 literal must be bracketed
    }
    return colon < 0 ? header : header.substring(0, colon);
  }

  /** The IPv4 address of an IPv4-mapped IPv6 one, else the bytes as they are. */
  private static byte[] ipv4Of(byte[] address) {
    if (address.length == 16) {
      for (int i = 0; i < 10; i++) {
        if (address[i] != 0) {
          return address;
        }
      }
      if (address[10] == (byte) 0xff && address[11] == (byte) 0xff) {
        return Arrays.copyOfRange(address, 12, 16);
      }
    }
    return address;
  }
}
