package dev.breakwater.server.frontend;

import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.ScramCache;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.pool.Pools;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What client connections share: the current settings and auth file (swapped whole on reload),
 * the pools, the cancel keys, and the count of connected clients.
 */
public final class Frontend {

  private volatile Settings settings;
  private volatile Map<String, Secret> secrets;
  private final Pools pools;
  private final CancelKeys cancelKeys = new CancelKeys(() -> settings().general().peerId());
  private final PeerCancels peerCancels = new PeerCancels(this::settings, cancelKeys);
  private final ScramCache scramCache;
  private final AtomicInteger clients = new AtomicInteger();
  /** Connected clients by {@link ClientKind}, counted as they open and close (never by walking them). */
  private final AtomicInteger[] clientsByKind = newCounters(ClientKind.values().length);
  private final byte[] serverSecret = new byte[32];
  private volatile boolean acceptingClients = true;
  private volatile AdminConsole adminConsole;
  private volatile dev.breakwater.server.stats.ConnectionEvents events =
      dev.breakwater.server.stats.ConnectionEvents.NONE;
  private volatile dev.breakwater.server.tls.Tls tls;
  private final AuthQuery authQuery;
  private volatile Hba hba;
  private volatile boolean draining;
  private final java.util.Set<String> disabled = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final SharedStrings sharedStrings = new SharedStrings();
  private final ClientCounts clientCounts = new ClientCounts();

  public Frontend(Settings settings, Map<String, Secret> secrets, Pools pools, ScramCache scramCache) {
    this.settings = settings;
    this.secrets = Map.copyOf(secrets);
    this.pools = pools;
    this.scramCache = scramCache;
    this.authQuery = new AuthQuery(pools);
    new SecureRandom().nextBytes(serverSecret);
  }

  public Settings settings() {
    return settings;
  }

  /** A reload: new logins see the new settings and auth file. */
  public void update(Settings settings, Map<String, Secret> secrets) {
    this.settings = settings;
    if (secrets != null) {
      this.secrets = Map.copyOf(secrets);
    }
  }

  public Secret secret(String user) {
    return secrets.get(user);
  }

  /** Clients per database and per user (max_db_client_connections, max_user_client_connections). */
  public ClientCounts clientCounts() {
    return clientCounts;
  }

  public Pools pools() {
    return pools;
  }

  public CancelKeys cancelKeys() {
    return cancelKeys;
  }

  /** Where CancelRequests go: a client here, or a peer process. */
  public PeerCancels peerCancels() {
    return peerCancels;
  }

  public ScramCache scramCache() {
    return scramCache;
  }

  /** One copy of each short startup value that clients send alike. */
  SharedStrings sharedStrings() {
    return sharedStrings;
  }

  byte[] serverSecret() {
    return serverSecret;
  }

  /** Connected clients, logged in or not. */
  public int clientCount() {
    return clients.get();
  }

  /** Connected clients of one kind (TCP, Unix socket, POST /sql, WebSocket), logged in or not. */
  public int clientCount(ClientKind kind) {
    return clientsByKind[kind.ordinal()].get();
  }

  /**
   * Connections that have not sent their startup packet yet, which count toward max_client_conn
   * as in PgBouncer (a socket that sends nothing holds a descriptor all the same), but not in
   * {@link #clientCount()}: a shutdown that waits for clients does not wait for them.
   */
  private final AtomicInteger starting = new AtomicInteger();

  /** A connection opened, its startup packet still to come: every connection now. */
  int startingOpened() {
    return clients.get() + starting.incrementAndGet();
  }

  /** A connection left the startup phase (handed to its ClientLogin, or closed). */
  void startingClosed() {
    starting.decrementAndGet();
  }

  /** Every client connection, logged in, logging in, or before its startup packet. */
  public int connectionCount() {
    return clients.get() + starting.get();
  }

  int clientOpened(ClientKind kind) {
    clientsByKind[kind.ordinal()].incrementAndGet();
    return clients.incrementAndGet();
  }

  void clientClosed(ClientKind kind) {
    clientsByKind[kind.ordinal()].decrementAndGet();
    clients.decrementAndGet();
  }

  private static AtomicInteger[] newCounters(int n) {
    AtomicInteger[] a = new AtomicInteger[n];
    for (int i = 0; i < n; i++) {
      a[i] = new AtomicInteger();
    }
    return a;
  }

  private volatile IdentMap identMap;

  /** The auth_ident_file maps, or null when none is loaded. */
  public IdentMap identMap() {
    return identMap;
  }

  public void identMap(IdentMap map) {
    this.identMap = map;
  }

  /** The auth_hba_file rules, or null when none is loaded. */
  public Hba hba() {
    return hba;
  }

  public void hba(Hba hba) {
    this.hba = hba;
  }

  public AuthQuery authQuery() {
    return authQuery;
  }

  /** TLS toward clients, per the current settings. */
  public dev.breakwater.server.tls.Tls tls() {
    return tls;
  }

  public void tls(dev.breakwater.server.tls.Tls tls) {
    this.tls = tls;
  }

  /** The admin console, or null when there is none. */
  public AdminConsole adminConsole() {
    return adminConsole;
  }

  public void adminConsole(AdminConsole console) {
    this.adminConsole = console;
  }

  /** Who hears of clients logging in and closing (metrics, connection logs). */
  public dev.breakwater.server.stats.ConnectionEvents events() {
    return events;
  }

  public void events(dev.breakwater.server.stats.ConnectionEvents events) {
    this.events = events;
  }

  /** Shutting down (SHUTDOWN WAIT_FOR_SERVERS or WAIT_FOR_CLIENTS): no new clients but the admin console's. */
  public boolean isDraining() {
    return draining;
  }

  public void startDraining() {
    acceptingClients = false;
    draining = true;
  }

  /** DISABLE and ENABLE: a disabled database refuses new clients. */
  public boolean isDisabled(String database) {
    return disabled.contains(database);
  }

  public void disable(String database, boolean disable) {
    if (disable) {
      disabled.add(database);
    } else {
      disabled.remove(database);
    }
  }

  public boolean acceptingClients() {
    return acceptingClients;
  }

  public void acceptingClients(boolean accept) {
    this.acceptingClients = accept;
  }
}
