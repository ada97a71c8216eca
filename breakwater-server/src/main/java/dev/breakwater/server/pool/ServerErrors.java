package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import java.util.List;

/**
 * What a pool remembers of its servers' failures to connect or log in: the last error (clients
 * fail fast with it for server_login_retry), whether it was the server being out of reach (then
 * one connection is tried in the background now and then), and, for an entry of several hosts,
 * which the next server connects to. The last error is read without the pool's lock; the rest is
 * guarded by it.
 */
final class ServerErrors {

  /** While the server cannot be reached, one connection is tried this often in the background. */
  private static final long PROBE_INTERVAL_NANOS = 500_000_000L;

  private volatile ErrorFields last;
  private volatile long lastNanos;
  /** Whether the last failure was reaching the server (refused, timed out), not a login error. */
  private volatile boolean lastWasConnect;
  private long lastProbeNanos;
  /** Which of several hosts ({@code host=a,b}) the next server connects to. */
  private int hostTurn;
  /** Servers in a row that could not connect since one last logged in. */
  private int connectFailuresInRow;

  /** The last error; null when there was none since a server last logged in. */
  ErrorFields last() {
    return last;
  }

  /** When {@link #last} happened ({@link System#nanoTime()}); meaningless when it is null. */
  long lastNanos() {
    return lastNanos;
  }

  /** The last error while server_login_retry has not passed since, else null. */
  ErrorFields recent(long now, PoolSettings cfg) {
    ErrorFields e = last;
    if (e == null) {
      return null;
    }
    return now - lastNanos < cfg.serverLoginRetry().toNanos() ? e : null;
  }

  boolean lastWasConnect() {
    return lastWasConnect;
  }

  void record(ErrorFields error, long now, boolean connectFailure) {
    last = error;
    lastNanos = now;
    lastWasConnect = connectFailure;
  }

  /** Forgets the last error: a server logged in, or the way to the server changed (RECONNECT). */
  void clear() {
    last = null;
  }

  /** A server logged in: the hosts are tried from the first again. */
  void loggedIn() {
    connectFailuresInRow = 0;
  }

  /**
   * A server could not connect: true when the entry has several hosts and one of them has not
   * failed yet in this round, to be tried before the clients are told.
   */
  boolean tryAnotherHost(PoolSettings cfg) {
    int hosts = cfg.serverHosts().size();
    return hosts > 1 && ++connectFailuresInRow % hosts != 0;
  }

  /**
   * The host a new server connects to, of several: the next in turn (load_balance_hosts =
   * round-robin), or the first that has not just failed (disable).
   */
  String nextHost(PoolSettings cfg) {
    List<String> hosts = cfg.serverHosts();
    int turn = cfg.rotateHosts() ? hostTurn++ : connectFailuresInRow;
    return hosts.get(Math.floorMod(turn, hosts.size()));
  }

  /** Whether a background connection may be tried now, the last one being long enough ago. */
  boolean probeDue(long now) {
    return now - lastProbeNanos > PROBE_INTERVAL_NANOS;
  }

  void probed(long now) {
    lastProbeNanos = now;
  }

  /**
   * Whether a server closed for not reaching PostgreSQL, or with a login error that goes away by
   * itself (the server starting up or shutting down, too many connections, connection trouble):
   * retried in the background rather than after server_login_retry, which is for errors that need
   * a person (a wrong password).
   */
  static boolean isConnectFailure(CloseReason reason, ErrorFields error) {
    return reason == CloseReason.CONNECT_FAILED
        || reason == CloseReason.CONNECT_TIMEOUT
        || (error != null && transientLoginError(error.sqlState()));
  }

  private static boolean transientLoginError(String sqlState) {
    return sqlState.startsWith("08")
        || sqlState.equals("57P01")
        || sqlState.equals("57P02")
        || sqlState.equals("57P03")
        || sqlState.equals("53300");
  }
}
