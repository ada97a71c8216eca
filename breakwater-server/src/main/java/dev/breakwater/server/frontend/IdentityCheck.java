package dev.breakwater.server.frontend;

import dev.breakwater.server.tls.Tls;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The logins without a password, where the connection itself says who the client is: peer (the
 * Unix socket client's OS user) and cert (its verified TLS certificate), each through the ident
 * map its auth_hba_file line names, if any. Each check answers null when the client may log in as
 * the user, else why not (for the log; the client is told less).
 */
final class IdentityCheck {

  private IdentityCheck() {}

  /**
   * PostgreSQL's peer method (an auth_hba_file {@code local ... peer} line): the Unix socket
   * client's OS user name must be the user it logs in as, or be mapped to it by the line's {@code
   * map=} in auth_ident_file. {@code known}: the user is known (or is the admin console's).
   */
  static String peer(Channel channel, String map, IdentMap maps, String user, boolean known) {
    String os = LocalPeer.userName(channel);
    if (os == null) {
      return "no OS user name for the peer (not a Unix socket?)";
    } else if (!known) {
      return "no such user";
    } else if (map != null && (maps == null || !maps.permits(map, os, user))) {
      return "ident map " + map + " cannot be matched for OS user \"" + os + "\"";
    } else if (map == null && !os.equals(user)) {
      return "OS user \"" + os + "\" is not \"" + user + "\"";
    }
    return null;
  }

  /**
   * auth_type cert: the client's TLS certificate, verified against client_tls_ca_file, must name
   * the user (PgBouncer's rule: its common name or a DNS subject alternative name), or with an hba
   * line's {@code map=} a name the map allows as the user; and the user must be known, as for any
   * other method.
   */
  static String certificate(Channel channel, String map, IdentMap maps, String user, boolean known) {
    SslHandler ssl = channel.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return "TLS connection required";
    }
    Certificate[] chain;
    try {
      chain = ssl.engine().getSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = null;
    }
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
      return "TLS client certificate required";
    } else if (!known) {
      return "no such user";
    } else if (!certificateMatches(cert, map, maps, user)) {
      return map != null ? "ident map " + map + " does not have a match" : "TLS certificate name mismatch";
    }
    return null;
  }

  /** The certificate names the user, or (an hba line's map=) a name the map allows as the user. */
  private static boolean certificateMatches(X509Certificate cert, String map, IdentMap maps, String user) {
    if (map == null) {
      return Tls.certificateNames(cert, user);
    }
    if (maps == null) {
      return false;
    }
    for (String name : Tls.namesOf(cert)) {
      if (maps.permits(map, name, user)) {
        return true;
      }
    }
    return false;
  }
}
