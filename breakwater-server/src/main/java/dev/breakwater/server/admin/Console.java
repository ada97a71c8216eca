package dev.breakwater.server.admin;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.Breakwater;
import dev.breakwater.server.Control;
import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.frontend.AdminConsole;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.stats.Observer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin console, PgBouncer's virtual database {@code pgbouncer}: a table of SHOW views (one
 * class each) and a table of verbs that act through {@link Control}. {@code stats_users} may run
 * SHOW; the verbs and SET need {@code admin_users}.
 */
public final class Console implements AdminConsole {

  /**
   * What PgBouncer's console answers a command whose argument names nothing (no such database or
   * client, an id that is not one): its blanket 08P01, which scripts written for it catch.
   */
  static final String BAD_ARGUMENT = SqlState.PROTOCOL_VIOLATION;
  /** SQLSTATE config_file_error, as PgBouncer answers a failed RELOAD. */
  static final String CONFIG_FILE_ERROR = "F0000";

  /** Settings some clients set or show on connect; SET answers "SET ignored", SHOW a fixed value. */
  static final Map<String, String> FAKE_PARAMETERS =
      Map.of(
          "client_encoding", "UTF-8",
          "default_transaction_isolation", "read committed",
          "standard_conforming_strings", "on",
          "datestyle", "ISO",
          "timezone", "GMT",
          "extra_float_digits", "2");

  private final Observed observed;
  private final Control control;
  private final Map<String, View> views = new LinkedHashMap<>();
  private final Map<String, Command> verbs = new LinkedHashMap<>();
  private final Set<ClientConnection> clients = ConcurrentHashMap.newKeySet();

  public Console(Breakwater breakwater, Observer observer) {
    this.observed = new Observed(breakwater, observer, this::clients);
    this.control = breakwater.control();
    views.put("clients", new ShowClients());
    views.put("config", new ShowConfig());
    views.put("databases", new ShowDatabases());
    views.put("lists", new ShowLists());
    views.put("peers", new ShowPeers());
    views.put("peer_pools", new ShowPeerPools());
    views.put("pools", new ShowPools());
    views.put("servers", new ShowServers());
    views.put("sockets", new ShowSockets(false));
    views.put("active_sockets", new ShowSockets(true));
    views.put("mem", new ShowMem());
    views.put("dns_hosts", new ShowDns(false));
    views.put("dns_zones", new ShowDns(true));
    views.put("state", new ShowState());
    views.put("stats", new ShowStats());
    views.put("stats_totals", new ShowStatsTotals());
    views.put("stats_averages", new ShowStatsAverages());
    views.put("totals", new ShowTotals());
    views.put("users", new ShowUsers());
    views.put("version", new ShowVersion());

    verbs.put("show", this::show);
    verbs.put("select", this::show);
    verbs.put("pause", admin((s, db) -> done(control.pause(database(db, true)), "PAUSE")));
    verbs.put("resume", admin(this::resume));
    verbs.put("suspend", admin(this::suspend));
    verbs.put("reconnect", admin((s, db) -> now(() -> control.reconnect(database(db, true)), "RECONNECT")));
    verbs.put("kill", admin((s, db) -> done(control.kill(database(db, true)), "KILL")));
    verbs.put("kill_client", admin(this::killClient));
    verbs.put("disable", admin((s, db) -> now(() -> control.disable(database(db, false)), "DISABLE")));
    verbs.put("enable", admin((s, db) -> now(() -> control.enable(database(db, false)), "ENABLE")));
    verbs.put("wait_close", admin((s, db) -> done(control.waitClose(database(db, true)), "WAIT_CLOSE")));
    verbs.put("reload", admin(this::reload));
    verbs.put("shutdown", admin(this::shutdown));
  }

  /** What the views look at, for the HTTP API. */
  public Observed observed() {
    return observed;
  }

  /** A SHOW view by its name (lower case), or null. */
  public View view(String name) {
    return views.get(name);
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("server_version", dev.breakwater.server.Version.PGBOUNCER + "/breakwater");
    p.put("client_encoding", "UTF8");
    p.put("server_encoding", "UTF8");
    p.put("DateStyle", "ISO");
    p.put("TimeZone", "GMT");
    p.put("standard_conforming_strings", "on");
    p.put("is_superuser", "on");
    return p;
  }

  @Override
  public Session open(ClientConnection client, boolean admin) {
    clients.removeIf(ClientConnection::isClosed);
    clients.add(client);
    return new ConsoleSession(this, client, admin);
  }

  /** The console's clients still open. */
  List<ClientConnection> clients() {
    List<ClientConnection> open = new ArrayList<>();
    for (ClientConnection c : clients) {
      if (!c.isClosed()) {
        open.add(c);
      }
    }
    open.sort((a, b) -> Long.compare(a.id(), b.id()));
    return Collections.unmodifiableList(open);
  }

  /** Runs one parsed query for a session. */
  CompletionStage<Reply> run(ConsoleSession session, CommandLine line) throws AdminException {
    if (line.command().equals("set")) {
      if (line.value() == null) {
        throw syntax(session.query());
      }
      return set(session, line.argument(), line.value());
    }
    Command c = verbs.get(line.command());
    if (c == null) {
      throw syntax(session.query());
    }
    return c.run(session, line.argument());
  }

  static AdminException syntax(String query) {
    return new AdminException(SqlState.SYNTAX_ERROR, "invalid command '" + query + "', use SHOW HELP;");
  }

  private CompletionStage<Reply> show(ConsoleSession s, String what) throws AdminException {
    String name = what.toLowerCase(Locale.ROOT);
    if (name.equals("help")) {
      return CompletableFuture.completedFuture(ShowHelp.reply());
    }
    String fake = FAKE_PARAMETERS.get(name);
    if (fake != null) {
      return CompletableFuture.completedFuture(Reply.rows(Result.of(name, ColumnType.TEXT).row(fake)));
    }
    View v = views.get(name);
    if (v == null) {
      throw syntax(s.query());
    }
    return settled().thenApply(done -> Reply.rows(v.show(observed)));
  }

  /**
   * Completes once each console client's event loop has run what it had already received: a
   * script's previous console connection, closed (Terminate sent) just before this one opened, is
   * then gone from SHOW CLIENTS, as in PgBouncer (one thread there), though it was served by
   * another thread here.
   */
  private CompletableFuture<Void> settled() {
    List<ClientConnection> open = clients();
    if (open.size() <= 1) {
      return CompletableFuture.completedFuture(null);
    }
    java.util.Set<io.netty.channel.EventLoop> loops = new java.util.HashSet<>();
    for (ClientConnection c : open) {
      loops.add(c.eventLoop());
    }
    return dev.breakwater.server.EventLoops.settled(loops);
  }

  private CompletionStage<Reply> set(ConsoleSession s, String key, String value) throws AdminException {
    if (FAKE_PARAMETERS.containsKey(key.toLowerCase(Locale.ROOT))) {
      return CompletableFuture.completedFuture(
          Reply.notice(ErrorFields.of("NOTICE", SqlState.SUCCESSFUL_COMPLETION, "SET ignored"), "SET"));
    }
    requireAdmin(s);
    java.util.Optional<String> notice;
    try {
      notice = control.set(key, value);
    } catch (ConfigException e) {
      throw new AdminException(SqlState.INVALID_PARAMETER_VALUE, "SET failed: " + e.getMessage());
    }
    String tag = "SET " + key + "=" + value;
    if (notice.isPresent()) {
      return CompletableFuture.completedFuture(
          Reply.notice(ErrorFields.of("NOTICE", SqlState.SUCCESSFUL_COMPLETION, notice.get()), tag));
    }
    return CompletableFuture.completedFuture(Reply.done(tag));
  }

  private CompletionStage<Reply> resume(ConsoleSession s, String arg) throws AdminException {
    String db = database(arg, true);
    if (db == null && control.isShuttingDown()) {
      throw new AdminException(SqlState.PROTOCOL_VIOLATION, "pooler is shutting down");
    }
    control.resume(db);
    return CompletableFuture.completedFuture(Reply.done("RESUME"));
  }

  private CompletionStage<Reply> suspend(ConsoleSession s, String arg) throws AdminException {
    if (!arg.isEmpty()) {
      throw syntax(s.query());
    }
    if (control.isShuttingDown()) {
      throw new AdminException(SqlState.PROTOCOL_VIOLATION, "pooler is shutting down");
    }
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    control.suspend().whenComplete((v, e) -> {
      if (e == null) {
        reply.complete(Reply.done("SUSPEND"));
      } else {
        Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
        reply.completeExceptionally(new AdminException(SqlState.PROTOCOL_VIOLATION, cause.getMessage()));
      }
    });
    return reply;
  }

  private CompletionStage<Reply> killClient(ConsoleSession s, String arg) throws AdminException {
    long id;
    try {
      id = Long.parseLong(arg);
    } catch (NumberFormatException e) {
      throw new AdminException(BAD_ARGUMENT, "invalid client pointer supplied: '" + arg + "'");
    }
    // The reply comes once the client is closed, so that the next command already sees it gone.
    return control
        .killClient(id)
        .orElseThrow(() -> new AdminException(BAD_ARGUMENT, "client not found: " + id))
        .thenApply(closed -> Reply.done("KILL_CLIENT"));
  }

  private CompletionStage<Reply> reload(ConsoleSession s, String arg) throws AdminException {
    if (!arg.isEmpty()) {
      throw syntax(s.query());
    }
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    observed.observer().execute(() -> {
      try {
        control.reload();
        reply.complete(Reply.done("RELOAD"));
      } catch (ConfigException | RuntimeException e) {
        reply.completeExceptionally(
            new AdminException(CONFIG_FILE_ERROR, "RELOAD failed, see logs for additional details: " + e.getMessage()));
      }
    });
    return reply;
  }

  private CompletionStage<Reply> shutdown(ConsoleSession s, String arg) throws AdminException {
    Control.ShutdownMode mode;
    switch (arg.toUpperCase(Locale.ROOT)) {
      case "" -> mode = Control.ShutdownMode.IMMEDIATE;
      case "WAIT_FOR_SERVERS" -> mode = Control.ShutdownMode.WAIT_FOR_SERVERS;
      case "WAIT_FOR_CLIENTS" -> mode = Control.ShutdownMode.WAIT_FOR_CLIENTS;
      default -> throw syntax(s.query());
    }
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    // Stopping waits for the event loops, so it never runs on one.
    Thread t =
        new Thread(
            () -> {
              control.shutdown(mode);
              if (mode != Control.ShutdownMode.IMMEDIATE) {
                reply.complete(Reply.done("SHUTDOWN"));
              }
            },
            "bw-admin-shutdown");
    t.setDaemon(true);
    t.start();
    // SHUTDOWN (immediate) is not answered: the connection ends with the process, as in PgBouncer.
    return reply;
  }

  /** The database named by an argument: null for "" when optional, else one that exists. */
  private String database(String arg, boolean optional) throws AdminException {
    if (arg.isEmpty()) {
      if (optional) {
        return null;
      }
      throw new AdminException(SqlState.SYNTAX_ERROR, "a database is required");
    }
    if (observed.settings().database(arg).isEmpty()) {
      throw new AdminException(BAD_ARGUMENT, "no such database: " + arg);
    }
    return arg;
  }

  private static void requireAdmin(ConsoleSession s) throws AdminException {
    if (!s.admin()) {
      throw new AdminException(SqlState.INSUFFICIENT_PRIVILEGE, "admin access needed");
    }
  }

  private static Command admin(Command c) {
    return (s, arg) -> {
      requireAdmin(s);
      s.logCommand();
      return c.run(s, arg);
    };
  }

  /** An action that may throw AdminException. */
  private interface Action {
    void run() throws AdminException;
  }

  private static CompletionStage<Reply> now(Action a, String tag) throws AdminException {
    a.run();
    return CompletableFuture.completedFuture(Reply.done(tag));
  }

  private static CompletionStage<Reply> done(CompletionStage<Void> work, String tag) {
    return work.thenApply(v -> Reply.done(tag));
  }
}
