package dev.breakwater.bench.report;

import dev.breakwater.bench.report.Results.Burst;
import dev.breakwater.bench.report.Results.Pgbench;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns bench/run's raw directory into {@code <name>.md}, {@code <name>.tsv} and the PNG charts in
 * the results directory, and prints the summary table.
 *
 * <pre>Report --raw DIR --out bench/results --name 2025-01-31</pre>
 */
public final class Report {

  private final Results r;
  private final String name;
  private final StringBuilder md = new StringBuilder();
  private final List<String[]> summary = new ArrayList<>();
  private final List<String[]> coldStarts = new ArrayList<>();
  private final List<String[]> tsv = new ArrayList<>();

  private Report(Results r, String name) {
    this.r = r;
    this.name = name;
  }

  public static void main(String[] argv) throws IOException {
    Map<String, String> args = new LinkedHashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    Path raw = Path.of(args.get("raw"));
    Path out = Path.of(args.getOrDefault("out", "bench/results"));
    String name = args.get("name");
    Results results = new Results(raw);
    Report report = new Report(results, name);
    String text = report.render();
    Files.createDirectories(out);
    Files.writeString(out.resolve(name + ".md"), text);
    report.writeTsv(out.resolve(name + ".tsv"));
    Charts.write(results, out, name);
    System.out.println(report.summaryText());
    System.out.println("written: " + out.resolve(name + ".md"));
  }

  // ---- Rendering ----

  private String render() throws IOException {
    Map<String, String> m = r.meta;
    boolean pgb = targets().contains("pgbouncer");
    h1("Breakwater benchmark: " + m.getOrDefault("started", "?") + " (" + m.get("mode") + " run)");
    p("Produced by `bench/run" + ("quick".equals(m.get("mode")) ? " --quick" : "")
        + "`; not edited by hand. How to read it: [bench/README.md](../README.md).");
    h2("Machine and versions");
    table(
        new String[] {"", ""},
        List.of(
            row("cores", m.get("cores") + " (" + m.get("cpu") + "), " + m.get("memory_mb") + " MB, " + m.get("kernel")),
            row("load average", "start " + m.get("loadavg_start") + ", end " + m.get("loadavg_end")
                + " (the machine is shared: see README)"),
            row("PostgreSQL", m.get("postgres") + " (" + m.get("postgres_kind") + "), max_connections "
                + m.get("pg_max_connections")),
            row("PgBouncer", m.getOrDefault("pgbouncer", "not available")),
            row("Breakwater", "commit " + m.get("breakwater_commit") + " (branch " + m.get("breakwater_branch")
                + "), JVM options `" + m.get("breakwater_java_opts") + "`"),
            row("Java", m.get("java")),
            row("pgbench", m.get("pgbench")),
            row("run", m.get("rounds") + " rounds of about " + m.get("duration_s") + " s per pgbench cell, targets "
                + "interleaved round-robin; " + m.get("warmup_s") + " s warm-up per target and mode; "
                + "pgbench scale " + m.get("scale") + ", latency sampling rate " + m.get("sampling_rate")
                + "; elapsed " + m.get("elapsed_s") + " s"),
            row("pooler CPU", cpuRow()),
            row("poolers", "one pgbouncer.ini: transaction pooling, default_pool_size " + m.get("pool_size")
                + ", auth_type scram-sha-256, max_client_conn " + (Integer.parseInt(m.getOrDefault("idle_clients", "0")) + 2000))));

    buildSummary(pgb);
    h2("Summary: issue 5's targets");
    p("Ratios are Breakwater's figure over the other's. TPS: the median of the rounds; latency: "
        + "percentiles of all sampled transactions of all rounds.");
    table(
        new String[] {"benchmark", "Breakwater", "PgBouncer", "direct", "BW/PgB", "BW/direct", "target", "met"},
        summary);

    buildColdStarts();
    if (!coldStarts.isEmpty()) {
      h2("Summary: issue 22's targets (cold starts)");
      p("What the pooler spends on logins and idle clients, Breakwater against PgBouncer in the same run. "
          + "CPU per login: the pooler's user + system time over the burst rounds, per connection (login, "
          + "`SELECT 1`, close). A part that did not run (`--only`) has no row.");
      table(
          new String[] {"benchmark", "Breakwater", "PgBouncer", "BW/PgB", "target", "met"},
          coldStarts);
    }

    h2("1. pgbench -S: throughput");
    for (String mode : modes()) {
      List<String[]> rows = new ArrayList<>();
      for (int c : r.clientCounts) {
        Pgbench bw = r.cell("breakwater", mode, c);
        Pgbench pg = r.cell("pgbouncer", mode, c);
        Pgbench d = r.cell("direct", mode, c);
        rows.add(
            row(
                Integer.toString(c),
                tps(d),
                tps(bw),
                tps(pg),
                ratio(v(bw), v(pg)),
                ratio(v(bw), v(d)),
                spread(d) + " / " + spread(bw) + " / " + spread(pg)));
        for (Pgbench cell : new Pgbench[] {d, bw, pg}) {
          if (cell != null) {
            tsv.add(
                row(
                    "pgbench", cell.target, mode, Integer.toString(c),
                    f1(cell.medianTps()), f3(cell.p(50)), f3(cell.p(99)), f3(cell.p(99.9)),
                    Long.toString(cell.failedTransactions), Integer.toString(cell.failedRuns)));
          }
        }
      }
      h3("-M " + mode + (mode.equals("prepared") && !hasAny("pgbouncer", mode) ? " (PgBouncer cannot: see notes)" : ""));
      table(
          new String[] {"clients", "direct TPS", "Breakwater TPS", "PgBouncer TPS", "BW/PgB", "BW/direct",
              "rounds min–max (direct / BW / PgB)"},
          rows);
    }
    p("![TPS against clients](" + name + "-tps.png)");

    h2("1. pgbench -S: latency (ms)");
    List<String[]> lat = new ArrayList<>();
    for (String mode : modes()) {
      for (int c : r.clientCounts) {
        for (String t : targets()) {
          Pgbench cell = r.cell(t, mode, c);
          if (cell == null) {
            continue;
          }
          Pgbench pg = r.cell("pgbouncer", mode, c);
          Pgbench d = r.cell("direct", mode, c);
          lat.add(
              row(
                  mode, Integer.toString(c), t,
                  f3(cell.p(50)), f3(cell.p(90)), f3(cell.p(99)), f3(cell.p(99.9)),
                  f2(cell.p(99) / cell.p(50)),
                  t.equals("breakwater") ? ratio(cell.p(99), pg == null ? Double.NaN : pg.p(99)) : "",
                  t.equals("breakwater") ? ratio(cell.p(99), d == null ? Double.NaN : d.p(99)) : "",
                  Integer.toString(cell.latencyUs.size())));
        }
      }
    }
    table(
        new String[] {"mode", "clients", "target", "p50", "p90", "p99", "p99.9", "p99/p50",
            "p99 BW/PgB", "p99 BW/direct", "samples"},
        lat);
    p("![latency percentiles](" + name + "-latency.png)");

    h2("2. Serverless burst");
    p(m.get("burst_connections") + " connections per round, " + m.get("burst_concurrency")
        + " at a time: connect, SCRAM login, `SELECT 1`, Terminate. Connections/s is the median over "
        + "rounds; time to first row (from connect() to the first DataRow) pooled over rounds. The "
        + "client caches SCRAM's SaltedPassword (see README). Pooler CPU: the pooler's user + system "
        + "time (from /proc) over all rounds per connection.");
    List<String[]> burstRows = new ArrayList<>();
    Burst bbw = r.burst.get("breakwater");
    Burst bpg = r.burst.get("pgbouncer");
    Burst bd = r.burst.get("direct");
    for (String t : targets()) {
      Burst b = r.burst.get(t);
      if (b == null) {
        continue;
      }
      double perSecond = Results.median(b.perSecond);
      burstRows.add(
          row(
              t, f1(perSecond), f2(b.p(50)), f2(b.p(99)), f2(b.p(100)),
              b.ok + "/" + b.connections, Long.toString(b.failed), burstCpu(b),
              t.equals("breakwater") ? ratio(perSecond, bpg == null ? Double.NaN : Results.median(bpg.perSecond)) : "",
              t.equals("breakwater") ? ratio(perSecond, bd == null ? Double.NaN : Results.median(bd.perSecond)) : ""));
      tsv.add(row("burst", t, "-", m.get("burst_concurrency"), f1(perSecond), f3(b.p(50)), f3(b.p(99)),
          f3(b.p(100)), Long.toString(b.failed), Integer.toString(b.failedRuns)));
    }
    table(
        new String[] {"target", "connections/s", "TTFR p50 ms", "TTFR p99 ms", "TTFR max ms", "ok", "failed",
            "pooler CPU µs/conn (user + system)", "conn/s BW/PgB", "conn/s BW/direct"},
        burstRows);
    p("![burst](" + name + "-burst.png)");

    List<String[]> tlsRows = new ArrayList<>();
    Burst tbw = r.burst.get("breakwater-tls");
    Burst tpg = r.burst.get("pgbouncer-tls");
    for (String t : List.of("breakwater", "pgbouncer")) {
      Burst b = r.burst.get(t + "-tls");
      if (b == null) {
        continue;
      }
      double perSecond = Results.median(b.perSecond);
      tlsRows.add(
          row(
              t, f1(perSecond), f2(b.p(50)), f2(b.p(99)), f2(b.p(100)),
              b.ok + "/" + b.connections, Long.toString(b.failed), burstCpu(b),
              t.equals("breakwater") ? ratio(perSecond, tpg == null ? Double.NaN : Results.median(tpg.perSecond)) : ""));
      tsv.add(row("burst-tls", t, "-", m.get("burst_concurrency"), f1(perSecond), f3(b.p(50)), f3(b.p(99)),
          f3(b.p(100)), Long.toString(b.failed), Integer.toString(b.failedRuns)));
    }
    if (!tlsRows.isEmpty()) {
      h3("Over TLS");
      p("The same burst with `sslmode=require`: SSLRequest, a full TLS handshake (no session resumption, "
          + "as a new function instance makes), then the SCRAM login. Certificate: " + m.getOrDefault("tls_certificate", "?")
          + ". PostgreSQL is reached without TLS, so only the poolers run it.");
      table(
          new String[] {"target", "connections/s", "TTFR p50 ms", "TTFR p99 ms", "TTFR max ms", "ok", "failed",
              "pooler CPU µs/conn (user + system)", "conn/s BW/PgB"},
          tlsRows);
    }

    h2("3. Idle clients");
    p(m.get("idle_clients") + " client connections logged in (SCRAM) and left idle, on poolers "
        + "started fresh for this test. RSS from /proc/<pid>/status before the clients connect, 3 s "
        + "after the last one logged in, and once it settled (two readings a second apart within "
        + "256 kB, at most 20 s later; \"before\" is read the same way); per client = "
        + "(settled − before) / clients logged in.");
    List<String[]> idleRows = new ArrayList<>();
    for (String t : List.of("breakwater", "pgbouncer")) {
      Map<String, String> i = r.idle.get(t);
      if (i == null) {
        continue;
      }
      double per = idleBytesPerClient(t);
      idleRows.add(
          row(
              t, i.getOrDefault("ok", "?") + "/" + i.get("connections"), i.getOrDefault("still_open", "?"),
              i.get("rss_before_kb"), i.getOrDefault("rss_first_kb", ""), i.get("rss_after_kb"), f0(per),
              f0(idleTotalPerClient(t)),
              t.equals("breakwater") ? ratio(per, idleBytesPerClient("pgbouncer")) : "",
              i.getOrDefault("threads", "?"), i.getOrDefault("fds", "?")));
      tsv.add(row("idle", t, "-", i.get("connections"), f0(per), i.get("rss_before_kb"), i.get("rss_after_kb"),
          "", i.getOrDefault("failed", "?"), ""));
    }
    table(
        new String[] {"pooler", "logged in", "still open after", "RSS before kB", "RSS 3 s after kB",
            "RSS settled kB", "bytes/client",
            "RSS after / clients", "BW/PgB (bytes/client)", "threads", "fds"},
        idleRows);
    String opts = m.getOrDefault("breakwater_java_opts", "");
    if (opts.contains("AlwaysPreTouch") || opts.contains("-Xms")) {
      p("Breakwater's JVM options (`" + opts + "`) size its initial heap and, with AlwaysPreTouch, "
          + "make it resident at start: that memory is in \"RSS before\", so bytes/client counts only "
          + "what the clients added beyond it. \"RSS after / clients\" charges everything to them.");
    }
    double livePerClient = idleHeapPerClient();
    if (!Double.isNaN(livePerClient)) {
      Map<String, String> i = r.idle.get("breakwater");
      p("Breakwater's live heap after a full collection (`jcmd GC.run`, then `GC.heap_info`): "
          + i.get("heap_before_kb") + " kB before the clients, " + i.get("heap_after_kb") + " kB with them: "
          + f0(livePerClient) + " bytes per client. It lives inside the heap made resident at start, so "
          + "RSS does not grow with it until the heap must.");
    }
    Path heap = r.raw.resolve("idle").resolve("breakwater.heap.txt");
    if (Files.exists(heap)) {
      p("Breakwater's heap with the clients connected (`jcmd GC.heap_info`, after RSS was read):");
      code(Files.readString(heap).strip());
    }

    h2("4. Tail under overload");
    int most = r.clientCounts.isEmpty() ? 1000 : r.clientCounts.get(r.clientCounts.size() - 1);
    p(most + " pgbench clients on a pool of " + m.get("pool_size")
        + " servers (the largest pgbench cell above): p99/p50 of transaction latency. Direct has "
        + "no pool (a backend per client) and is shown for reference.");
    List<String[]> over = new ArrayList<>();
    for (String mode : modes()) {
      for (String t : targets()) {
        Pgbench cell = r.cell(t, mode, most);
        if (cell == null) {
          continue;
        }
        over.add(row(mode, t, f3(cell.p(50)), f3(cell.p(99)), f2(cell.p(99) / cell.p(50)), f1(cell.medianTps())));
      }
    }
    table(new String[] {"mode", "target", "p50 ms", "p99 ms", "p99/p50", "TPS"}, over);

    if (!r.cost.isEmpty()) {
      Results.Cost any = r.cost.values().iterator().next();
      h2("5. Cost at the same load");
      p("pgbench -S held at " + f0(any.rate) + " transactions a second (`-R`) by " + any.clients
          + " clients, once per round and pooler: each pooler's user and system CPU time and context "
          + "switches (all its threads, from /proc) over the run once every client was connected, per "
          + "transaction (pgbench's TPS times the seconds measured). Both poolers carry the same work, so "
          + "this is what each spends on it; above, flat out, the figures also say how each fared for "
          + "the machine's cores. Medians of the rounds.");
      List<String[]> costs = new ArrayList<>();
      Results.Cost pgCost = r.cost.get("pgbouncer");
      for (Results.Cost c : r.cost.values()) {
        costs.add(row(c.target, f0(Results.median(c.tps)), f1(c.user()), f1(c.system()), f1(c.cpu()),
            f2(Results.median(c.switches)),
            c == pgCost || pgCost == null ? "" : ratio(c.cpu(), pgCost.cpu()),
            c.userUs.size() + (c.failedRuns > 0 ? " (" + c.failedRuns + " failed)" : "")));
      }
      table(new String[] {"pooler", "TPS", "user µs/tx", "system µs/tx", "CPU µs/tx", "context switches/tx",
          "CPU BW/PgB", "rounds"}, costs);
    }

    h2("Failures and errors");
    failures();
    h2("Notes");
    List<String> notes = new ArrayList<>(r.notes);
    notes.add("Breakwater and PgBouncer read the same generated pgbouncer.ini (below), each with "
        + "listen_port, logfile and pidfile added at the top of [pgbouncer].");
    notes.add("pgbench runs are sized with -t (transactions per client) for about " + r.meta.get("duration_s")
        + " s each, from the rate last measured for the cell: pgbench counts its clients' connection "
        + "time (SCRAM, seconds for 1000 clients) against -T. TPS excludes connection time.");
    for (String n : notes) {
      md.append("- ").append(n).append('\n');
    }
    md.append('\n');
    Path ini = r.raw.resolve("pgbouncer.ini");
    if (Files.exists(ini)) {
      code(Files.readString(ini).strip());
    }
    return md.toString();
  }

  private void buildSummary(boolean pgb) {
    for (String mode : modes()) {
      for (int c : r.clientCounts) {
        Pgbench bw = r.cell("breakwater", mode, c);
        Pgbench pg = r.cell("pgbouncer", mode, c);
        Pgbench d = r.cell("direct", mode, c);
        if (bw == null) {
          continue;
        }
        double want = c <= 10 ? 1.0 : 1.25;
        boolean vsPgb = pg != null;
        summary.add(
            row(
                "TPS " + mode + " c" + c,
                f0(v(bw)), tps(pg), tps(d), ratio(v(bw), v(pg)), ratio(v(bw), v(d)),
                vsPgb ? "BW/PgB ≥ " + f2(want) : "vs direct",
                vsPgb ? met(v(bw) / v(pg) >= want) : "–"));
        summary.add(
            row(
                "p99 ms " + mode + " c" + c,
                f2(bw.p(99)), pg == null ? "" : f2(pg.p(99)), d == null ? "" : f2(d.p(99)),
                ratio(bw.p(99), pg == null ? Double.NaN : pg.p(99)),
                ratio(bw.p(99), d == null ? Double.NaN : d.p(99)),
                vsPgb ? "BW/PgB ≤ 1.00" : "vs direct",
                vsPgb ? met(bw.p(99) <= pg.p(99)) : "–"));
      }
    }
    int most = r.clientCounts.isEmpty() ? 1000 : r.clientCounts.get(r.clientCounts.size() - 1);
    for (String mode : modes()) {
      Pgbench bw = r.cell("breakwater", mode, most);
      Pgbench pg = r.cell("pgbouncer", mode, most);
      if (bw == null) {
        continue;
      }
      double q = bw.p(99) / bw.p(50);
      summary.add(
          row("overload p99/p50 " + mode + " c" + most, f2(q), pg == null ? "" : f2(pg.p(99) / pg.p(50)), "",
              "", "", "≤ 1.50", met(q <= 1.5)));
    }
    if (r.idle.containsKey("breakwater")) {
      double bw = idleBytesPerClient("breakwater");
      double pg = idleBytesPerClient("pgbouncer");
      summary.add(row("idle bytes/client", f0(bw), Double.isNaN(pg) ? "" : f0(pg), "", ratio(bw, pg), "",
          "≤ 2048", met(bw <= 2048)));
      double heap = idleHeapPerClient();
      if (!Double.isNaN(heap)) {
        summary.add(row("idle live heap bytes/client", f0(heap), "", "", "", "", "(inside RSS)", ""));
      }
    }
    Results.Cost cbw = r.cost.get("breakwater");
    if (cbw != null) {
      Results.Cost cpg = r.cost.get("pgbouncer");
      summary.add(row("pooler CPU µs/tx at " + f0(cbw.rate) + " tx/s", f1(cbw.cpu()),
          cpg == null ? "" : f1(cpg.cpu()), "", ratio(cbw.cpu(), cpg == null ? Double.NaN : cpg.cpu()), "",
          "(cheaper is better)", ""));
    }
    Burst bbw = r.burst.get("breakwater");
    if (bbw != null) {
      Burst bpg = r.burst.get("pgbouncer");
      Burst bd = r.burst.get("direct");
      double s = Results.median(bbw.perSecond);
      double sp = bpg == null ? Double.NaN : Results.median(bpg.perSecond);
      double sd = bd == null ? Double.NaN : Results.median(bd.perSecond);
      summary.add(row("burst connections/s", f0(s), f0(sp), f0(sd), ratio(s, sp), ratio(s, sd), "BW/PgB > 1.00",
          bpg == null ? "–" : met(s > sp)));
      summary.add(row("burst TTFR p99 ms", f2(bbw.p(99)), bpg == null ? "" : f2(bpg.p(99)),
          bd == null ? "" : f2(bd.p(99)), ratio(bbw.p(99), bpg == null ? Double.NaN : bpg.p(99)),
          ratio(bbw.p(99), bd == null ? Double.NaN : bd.p(99)), "", ""));
      if (bbw.cpuConnections > 0) {
        double c = burstCpuTotal(bbw);
        double cp = bpg == null || bpg.cpuConnections == 0 ? Double.NaN : burstCpuTotal(bpg);
        summary.add(row("burst pooler CPU µs/connection", f1(c), Double.isNaN(cp) ? "" : f1(cp), "",
            ratio(c, cp), "", "(cheaper is better)", ""));
      }
      summary.add(row("burst failures", Long.toString(bbw.failed), bpg == null ? "" : Long.toString(bpg.failed),
          bd == null ? "" : Long.toString(bd.failed), "", "", "0", met(bbw.failed == 0 && bbw.failedRuns == 0)));
    }
  }

  /** Issue 22's targets: each Breakwater figure against PgBouncer's, where both ran. */
  private void buildColdStarts() {
    Burst tbw = r.burst.get("breakwater-tls");
    Burst tpg = r.burst.get("pgbouncer-tls");
    if (tbw != null && tbw.cpuConnections > 0) {
      double c = burstCpuTotal(tbw);
      double cp = tpg == null || tpg.cpuConnections == 0 ? Double.NaN : burstCpuTotal(tpg);
      coldStarts.add(coldRow("CPU µs per TLS + SCRAM login", f1(c), f1(cp), c, cp, "BW/PgB ≤ 1.00", c <= cp));
    }
    if (tbw != null) {
      double s = Results.median(tbw.perSecond);
      double sp = tpg == null ? Double.NaN : Results.median(tpg.perSecond);
      coldStarts.add(coldRow("TLS connections/s", f0(s), f0(sp), s, sp, "BW/PgB ≥ 3.00", s >= 3 * sp));
      double q = tbw.p(99);
      double qp = tpg == null ? Double.NaN : tpg.p(99);
      coldStarts.add(coldRow("TLS burst TTFR p99 ms", f2(q), f2(qp), q, qp, "BW/PgB ≤ 1.00", q <= qp));
    }
    Burst bbw = r.burst.get("breakwater");
    Burst bpg = r.burst.get("pgbouncer");
    if (bbw != null && bbw.cpuConnections > 0) {
      double c = burstCpuTotal(bbw);
      double cp = bpg == null || bpg.cpuConnections == 0 ? Double.NaN : burstCpuTotal(bpg);
      coldStarts.add(coldRow("CPU µs per SCRAM login, no TLS", f1(c), f1(cp), c, cp, "BW/PgB ≤ 1.00", c <= cp));
    }
    if (bbw != null) {
      double q = bbw.p(99);
      double qp = bpg == null ? Double.NaN : bpg.p(99);
      coldStarts.add(coldRow("burst TTFR p99 ms, no TLS", f2(q), f2(qp), q, qp, "BW/PgB ≤ 1.00", q <= qp));
    }
    double heap = idleHeapPerClient();
    if (!Double.isNaN(heap)) {
      double pg = idleBytesPerClient("pgbouncer");
      coldStarts.add(row("idle client: BW live heap, PgB RSS (bytes)", f0(heap), Double.isNaN(pg) ? "" : f0(pg),
          ratio(heap, pg), "BW ≤ 1024", met(heap <= 1024)));
    }
    Results.Cost cbw = r.cost.get("breakwater");
    Results.Cost cpg = r.cost.get("pgbouncer");
    if (cbw != null) {
      double c = cbw.cpu();
      double cp = cpg == null ? Double.NaN : cpg.cpu();
      coldStarts.add(coldRow("pooler CPU µs/tx at " + f0(cbw.rate) + " tx/s", f1(c), f1(cp), c, cp,
          "BW/PgB ≤ 1.00", c <= cp));
    }
  }

  private static String[] coldRow(String what, String bw, String pg, double a, double b, String target, boolean ok) {
    boolean both = !Double.isNaN(a) && !Double.isNaN(b);
    return row(what, bw, both ? pg : "", ratio(a, b), target, both ? met(ok) : "–");
  }

  private void failures() throws IOException {
    List<String> lines = new ArrayList<>();
    for (Pgbench cell : r.pgbench.values()) {
      if (cell.failedRuns > 0 || cell.failedTransactions > 0 || !cell.errors.isEmpty()) {
        lines.add(
            "pgbench " + cell.target + " -M " + cell.mode + " -c " + cell.clients + ": " + cell.failedRuns
                + " of " + cell.runs + " runs failed, " + cell.failedTransactions + " failed transactions; "
                + describe(cell.errors));
      }
    }
    for (Results.Cost c : r.cost.values()) {
      if (c.failedRuns > 0) {
        lines.add("cost " + c.target + ": " + c.failedRuns + " runs failed (see cost/ in the raw data)");
      }
    }
    for (Burst b : r.burst.values()) {
      if (b.failed > 0 || b.failedRuns > 0 || !b.errors.isEmpty()) {
        lines.add("burst " + b.target + ": " + b.failed + " failed connections; " + describe(b.errors));
      }
    }
    for (Map.Entry<String, Map<String, String>> e : r.idle.entrySet()) {
      Map<String, String> i = e.getValue();
      if (!"0".equals(i.get("failed")) || !i.getOrDefault("errors", "").isEmpty()
          || !i.getOrDefault("still_open", "").equals(i.get("ok"))) {
        lines.add("idle " + e.getKey() + ": " + i.get("failed") + " failed logins, " + i.get("still_open")
            + " of " + i.get("ok") + " still open; " + i.getOrDefault("errors", ""));
      }
    }
    if (lines.isEmpty()) {
      p("No failed run, transaction or connection.");
    } else {
      for (String l : lines) {
        md.append("- ").append(l).append('\n');
      }
      md.append('\n');
    }
    logSection("Breakwater's log (WARN and ERROR)", r.raw.resolve("breakwater.log"), "\\b(WARN|ERROR)\\b");
    // Breakwater logs to standard error too: only what is not a log line (JVM errors, stack traces).
    logSection("Breakwater's standard output and error (beyond its log)", r.raw.resolve("breakwater.out"),
        "^(?!\\d{4}-\\d\\d-\\d\\d ).*(?i)(exception|error|warn|\\tat )");
    logSection("PgBouncer's log (WARNING, ERROR, FATAL)", r.raw.resolve("pgbouncer.log"), "\\b(WARNING|ERROR|FATAL)\\b");
    logSection("PostgreSQL's log (ERROR, FATAL, PANIC)", r.raw.resolve("postgres.log"), "\\b(ERROR|FATAL|PANIC):");
  }

  private void logSection(String title, Path log, String regex) throws IOException {
    if (!Files.exists(log)) {
      return;
    }
    List<String> hits = Results.grep(log, regex);
    Map<String, Integer> counts = new LinkedHashMap<>();
    Map<String, String> example = new LinkedHashMap<>();
    for (String h : hits) {
      String k = Results.normalize(h);
      counts.merge(k, 1, Integer::sum);
      example.putIfAbsent(k, h);
    }
    md.append("**").append(title).append("**: ");
    if (counts.isEmpty()) {
      md.append("none.\n\n");
      return;
    }
    md.append(hits.size()).append(" lines, ").append(counts.size()).append(" kinds (count, first example):\n\n");
    List<String> lines = new ArrayList<>();
    int shown = 0;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (++shown > 25) {
        lines.add("… " + (counts.size() - 25) + " more kinds");
        break;
      }
      String ex = example.get(e.getKey());
      lines.add(String.format(Locale.ROOT, "%6d  %s", e.getValue(), ex.length() > 400 ? ex.substring(0, 400) + "…" : ex));
    }
    code(String.join("\n", lines));
  }

  private static String describe(Map<String, Integer> errors) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Integer> e : errors.entrySet()) {
      parts.add(e.getValue() + " × `" + e.getKey().replace('`', '\'') + "`");
      if (parts.size() >= 6) {
        parts.add("…");
        break;
      }
    }
    return String.join(", ", parts);
  }

  /** CPU time each pooler used over the whole run, and per measured pgbench transaction. */
  private String cpuRow() {
    List<String> parts = new ArrayList<>();
    for (String t : List.of("breakwater", "pgbouncer")) {
      String cpu = r.meta.get(t + "_cpu_s");
      if (cpu == null) {
        continue;
      }
      long tx = 0;
      for (Pgbench cell : r.pgbench.values()) {
        if (cell.target.equals(t)) {
          tx += cell.transactions;
        }
      }
      parts.add(t + " " + cpu + " s user+system over the run (all tests, warm-up included; "
          + String.format(Locale.ROOT, "%,d", tx) + " measured pgbench transactions: "
          + (tx == 0 ? "?" : f1(Double.parseDouble(cpu) * 1e6 / tx)) + " µs per transaction), RSS at the end "
          + r.meta.getOrDefault(t + "_rss_end_kb", "?") + " kB");
    }
    return parts.isEmpty() ? "not measured" : String.join("; ", parts);
  }

  private double idleTotalPerClient(String t) {
    Map<String, String> i = r.idle.get(t);
    if (i == null || i.getOrDefault("rss_after_kb", "").isEmpty()) {
      return Double.NaN;
    }
    long ok = Long.parseLong(i.getOrDefault("ok", "0"));
    return ok == 0 ? Double.NaN : Long.parseLong(i.get("rss_after_kb")) * 1024.0 / ok;
  }

  /** Breakwater's live heap (after full collections) per idle client, or NaN when not measured. */
  private double idleHeapPerClient() {
    Map<String, String> i = r.idle.get("breakwater");
    if (i == null || i.getOrDefault("heap_before_kb", "").isEmpty() || i.getOrDefault("heap_after_kb", "").isEmpty()) {
      return Double.NaN;
    }
    long ok = Long.parseLong(i.getOrDefault("ok", "0"));
    return ok == 0 ? Double.NaN
        : (Long.parseLong(i.get("heap_after_kb")) - Long.parseLong(i.get("heap_before_kb"))) * 1024.0 / ok;
  }

  private double idleBytesPerClient(String t) {
    Map<String, String> i = r.idle.get(t);
    if (i == null || !i.containsKey("rss_after_kb") || i.get("rss_after_kb").isEmpty()) {
      return Double.NaN;
    }
    long ok = Long.parseLong(i.getOrDefault("ok", "0"));
    if (ok == 0) {
      return Double.NaN;
    }
    return (Long.parseLong(i.get("rss_after_kb")) - Long.parseLong(i.get("rss_before_kb"))) * 1024.0 / ok;
  }

  private List<String> targets() {
    List<String> out = new ArrayList<>();
    String t = r.meta.getOrDefault("targets", "direct breakwater pgbouncer");
    for (String s : t.trim().split("\\s+")) {
      out.add(s);
    }
    return out;
  }

  private List<String> modes() {
    List<String> out = new ArrayList<>();
    for (String s : r.meta.getOrDefault("modes", "simple extended prepared").trim().split("\\s+")) {
      out.add(s);
    }
    return out;
  }

  private boolean hasAny(String target, String mode) {
    for (int c : r.clientCounts) {
      if (r.cell(target, mode, c) != null) {
        return true;
      }
    }
    return false;
  }

  // ---- Text ----

  String summaryText() {
    StringBuilder s = new StringBuilder();
    String[] head = {"benchmark", "Breakwater", "PgBouncer", "direct", "BW/PgB", "BW/direct", "target", "met"};
    int[] w = new int[head.length];
    for (int i = 0; i < head.length; i++) {
      w[i] = head[i].length();
      for (String[] row : summary) {
        w[i] = Math.max(w[i], row[i].length());
      }
    }
    appendRow(s, head, w);
    for (String[] row : summary) {
      appendRow(s, row, w);
    }
    return s.toString();
  }

  private static void appendRow(StringBuilder s, String[] row, int[] w) {
    for (int i = 0; i < row.length; i++) {
      String cell = row[i];
      s.append(i == 0 ? String.format("%-" + w[i] + "s", cell) : String.format("  %" + w[i] + "s", cell));
    }
    s.append('\n');
  }

  private void writeTsv(Path file) throws IOException {
    StringBuilder s = new StringBuilder(
        "test\ttarget\tmode\tclients\ttps_or_rate\tp50_ms\tp99_ms\tp999_or_max_ms\tfailed\tfailed_runs\n");
    for (String[] row : tsv) {
      s.append(String.join("\t", row)).append('\n');
    }
    Files.writeString(file, s.toString());
  }

  private void h1(String s) {
    md.append("# ").append(s).append("\n\n");
  }

  private void h2(String s) {
    md.append("## ").append(s).append("\n\n");
  }

  private void h3(String s) {
    md.append("### ").append(s).append("\n\n");
  }

  private void p(String s) {
    md.append(s).append("\n\n");
  }

  private void code(String s) {
    md.append("```\n").append(s).append("\n```\n\n");
  }

  private void table(String[] head, List<String[]> rows) {
    md.append("| ").append(String.join(" | ", head)).append(" |\n|");
    for (int i = 0; i < head.length; i++) {
      md.append(i == 0 ? "---|" : "---:|");
    }
    md.append('\n');
    for (String[] row : rows) {
      md.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    md.append('\n');
  }

  private static String[] row(String... cells) {
    for (int i = 0; i < cells.length; i++) {
      if (cells[i] == null) {
        cells[i] = "";
      }
    }
    return cells;
  }

  private static double v(Pgbench cell) {
    return cell == null ? Double.NaN : cell.medianTps();
  }

  private static String tps(Pgbench cell) {
    return cell == null ? "" : f0(cell.medianTps());
  }

  private static String spread(Pgbench cell) {
    if (cell == null || cell.tps.isEmpty()) {
      return "–";
    }
    double min = cell.tps.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    double max = cell.tps.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    return f0(min) + "–" + f0(max);
  }

  private static String met(boolean ok) {
    return ok ? "yes" : "**no**";
  }

  static String ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "";
    }
    return f2(a / b);
  }

  static String f0(double x) {
    return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%,.0f", x);
  }

  static String f1(double x) {
    return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.1f", x);
  }

  static String f2(double x) {
    return Double.isNaN(x) || Double.isInfinite(x) ? "" : String.format(Locale.ROOT, "%.2f", x);
  }

  static String f3(double x) {
    return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.3f", x);
  }

  /** "user + system" µs per connection over all rounds; empty where not measured (direct). */
  private static String burstCpu(Burst b) {
    if (b.cpuConnections == 0) {
      return "";
    }
    return f1(b.userSeconds * 1e6 / b.cpuConnections) + " + " + f1(b.systemSeconds * 1e6 / b.cpuConnections);
  }

  private static double burstCpuTotal(Burst b) {
    return (b.userSeconds + b.systemSeconds) * 1e6 / b.cpuConnections;
  }
}
