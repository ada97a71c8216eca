package dev.breakwater.server.frontend;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who is at the other end of a Unix socket. PgBouncer lets user {@code pgbouncer} into the admin
 * console with no password when the client runs as the same OS user as the pooler (its peer
 * credentials say so): whoever can do that could read the configuration and signal the process
 * anyway. TCP clients never qualify.
 */
final class LocalPeer {

  /** This process's user id, or -1 where it cannot be read (not Linux). */
  private static final int OWN_UID = ownUid();

  /** True when {@code channel} is a Unix socket whose peer runs as this process's user. */
  static boolean sameUser(Channel channel) {
    return OWN_UID >= 0 && peerUid(channel) == OWN_UID;
  }

  /**
   * The OS user name of a Unix socket's peer (PostgreSQL's peer authentication), from
   * /etc/passwd; null for a TCP client or a user id with no name.
   */
  static String userName(Channel channel) {
    int uid = peerUid(channel);
    if (uid < 0) {
      return null;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
        String[] f = line.split(":", -1);
        if (f.length > 2 && f[2].equals(Integer.toString(uid))) {
          return f[0];
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** The user id of a Unix socket's peer, or -1. */
  private static int peerUid(Channel channel) {
    PeerCredentials peer;
    try {
      if (channel instanceof EpollDomainSocketChannel c) {
        peer = c.peerCredentials();
      } else if (channel instanceof IoUringDomainSocketChannel c) {
        peer = c.peerCredentials();
      } else {
        return -1;
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return peer == null ? -1 : peer.uid();
  }

  private static int ownUid() {
    try {
      // /proc/self is owned by the process's effective user.
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private LocalPeer() {}
}
