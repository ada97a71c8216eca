package dev.breakwater.bench.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What bench/run left in its raw directory, read back and aggregated over rounds. */
final class Results {

  static final List<String> TARGETS = List.of("direct", "breakwater", "pgbouncer");
  static final List<String> MODES = List.of("simple", "extended", "prepared");

  /** Latencies of many transactions, in microseconds. */
  static final class Samples {
    private long[] v = new long[1024];
    private int n;
    private boolean sorted;

    void add(long x) {
      if (n == v.length) {
        v = Arrays.copyOf(v, n * 2);
      }
      v[n++] = x;
      sorted = false;
    }

    int size() {
      return n;
    }

    /** The p-th percentile (nearest rank), or NaN with no samples. */
    double percentile(double p) {
      if (n == 0) {
        return Double.NaN;
      }
      if (!sorted) {
        Arrays.sort(v, 0, n);
        sorted = true;
      }
      int i = (int) Math.ceil(p / 100.0 * n) - 1;
      return v[Math.max(0, Math.min(n - 1, i))];
    }
  }

  /** One pgbench cell (target, mode, clients) over all rounds. */
  static final class Pgbench {
    final String target;
    final String mode;
    final int clients;
    final List<Double> tps = new ArrayList<>();
    final Samples latencyUs = new Samples();
    long transactions;
    long failedTransactions;
    int runs;
    int failedRuns;
    final Map<String, Integer> errors = new TreeMap<>();

    Pgbench(String target, String mode, int clients) {
      this.target = target;
      this.mode = mode;
      this.clients = clients;
    }

    /** The median TPS over rounds, NaN when no round produced one. */
    double medianTps() {
      return median(tps);
    }

    double p(double percentile) {
      return latencyUs.percentile(percentile) / 1000.0;
    }
  }

  /** The burst of one target over all rounds. */
  static final class Burst {
    final String target;
    final List<Double> perSecond = new ArrayList<>();
    final Samples ttfrUs = new Samples();
    long connections;
    long ok;
    long failed;
    int failedRuns;
    final Map<String, Integer> errors = new TreeMap<>();
    /** The pooler's user and system CPU over the rounds and their connections (none for direct). */
    double userSeconds;
    double systemSeconds;
    long cpuConnections;

    Burst(String target) {
      this.target = target;
    }

    double p(double percentile) {
      return ttfrUs.percentile(percentile) / 1000.0;
    }
  }

  /** One pooler's cost at a fixed rate, over all rounds: per transaction, in µs and switches. */
  static final class Cost {
    final String target;
    final List<Double> userUs = new ArrayList<>();
    final List<Double> systemUs = new ArrayList<>();
    final List<Double> switches = new ArrayList<>();
    final List<Double> tps = new ArrayList<>();
    int rate;
    int clients;
    int failedRuns;

    Cost(String target) {
      this.target = target;
    }

    double user() {
      return median(userUs);
    }

    double system() {
      return median(systemUs);
    }

    /** The median over rounds of user plus system time per transaction. */
    double cpu() {
      List<Double> sum = new ArrayList<>();
      for (int i = 0; i < userUs.size(); i++) {
        sum.add(userUs.get(i) + systemUs.get(i));
      }
      return median(sum);
    }
  }

  final Path raw;
  final Map<String, String> meta = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();
  /** target/mode/clients: the cell. */
  final Map<String, Pgbench> pgbench = new LinkedHashMap<>();
  final Map<String, Burst> burst = new LinkedHashMap<>();
  final Map<String, Cost> cost = new LinkedHashMap<>();
  final Map<String, Map<String, String>> idle = new LinkedHashMap<>();
  final List<Integer> clientCounts = new ArrayList<>();

  Results(Path raw) throws IOException {
    this.raw = raw;
    for (String line : Files.readAllLines(raw.resolve("meta.txt"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        meta.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    if (Files.exists(raw.resolve("notes.txt"))) {
      for (String line : Files.readAllLines(raw.resolve("notes.txt"))) {
        if (!line.isBlank()) {
          notes.add(line);
        }
      }
    }
    for (String c : meta.getOrDefault("clients", "10 100 1000").trim().split("\\s+")) {
      clientCounts.add(Integer.parseInt(c));
    }
    Path runs = raw.resolve("runs.tsv");
    if (Files.exists(runs)) {
      for (String line : Files.readAllLines(runs)) {
        String[] f = line.split("\t");
        if (f.length < 6) {
          continue;
        }
        int rc = Integer.parseInt(f[5]);
        if (f[0].equals("pgbench")) {
          readPgbench(f[1], f[2], Integer.parseInt(f[3]), f[4], rc);
        } else if (f[0].equals("burst")) {
          readBurst(f[1], f[4], rc);
        }
      }
    }
    Path costs = raw.resolve("cost.tsv");
    if (Files.exists(costs)) {
      for (String line : Files.readAllLines(costs)) {
        String[] f = line.split("\t");
        if (f.length >= 11 && f[0].equals("cost")) {
          readCost(f);
        }
      }
    }
    Path idleDir = raw.resolve("idle");
    for (String t : TARGETS) {
      Path p = idleDir.resolve(t + ".txt");
      if (Files.exists(p)) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(p)) {
          int eq = line.indexOf('=');
          if (eq > 0) {
            m.put(line.substring(0, eq), line.substring(eq + 1));
          }
        }
        Path out = idleDir.resolve(t + ".out");
        if (Files.exists(out)) {
          m.put("errors", String.join("; ", grep(out, "^error ")));
        }
        idle.put(t, m);
      }
    }
  }

  Pgbench cell(String target, String mode, int clients) {
    return pgbench.get(target + "/" + mode + "/" + clients);
  }

  private static final Pattern TPS = Pattern.compile("^tps = ([0-9.]+)");
  private static final Pattern PROCESSED =
      Pattern.compile("^number of transactions actually processed: (\\d+)");
  private static final Pattern FAILED = Pattern.compile("^number of failed transactions: (\\d+)");

  private void readPgbench(String target, String mode, int clients, String round, int rc)
      throws IOException {
    Pgbench cell =
        pgbench.computeIfAbsent(
            target + "/" + mode + "/" + clients, k -> new Pgbench(target, mode, clients));
    cell.runs++;
    String prefix = target + "_" + mode + "_c" + clients + "_r" + round;
    Path dir = raw.resolve("pgbench");
    Path out = dir.resolve(prefix + ".txt");
    boolean gotTps = false;
    if (Files.exists(out)) {
      for (String line : Files.readAllLines(out)) {
        Matcher m;
        if ((m = TPS.matcher(line)).find()) {
          cell.tps.add(Double.parseDouble(m.group(1)));
          gotTps = true;
        } else if ((m = PROCESSED.matcher(line)).find()) {
          cell.transactions += Long.parseLong(m.group(1));
        } else if ((m = FAILED.matcher(line)).find()) {
          cell.failedTransactions += Long.parseLong(m.group(1));
        } else if (line.contains("error") || line.contains("aborted") || line.contains("FATAL")) {
          cell.errors.merge(normalize(line), 1, Integer::sum);
        }
      }
    }
    if (rc != 0 || !gotTps) {
      cell.failedRuns++;
      cell.errors.merge(rc != 0 ? "pgbench exit status " + rc : "no TPS reported", 1, Integer::sum);
    }
    Pattern logName = Pattern.compile(Pattern.quote(prefix) + "\\.\\d+(\\.\\d+)?");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path log : files.filter(p -> logName.matcher(p.getFileName().toString()).matches()).toList()) {
        readLatencies(log, cell.latencyUs);
      }
    }
  }

  /** pgbench -l: client_id transaction_no time script_no time_epoch time_us; time in µs. */
  private static void readLatencies(Path log, Samples into) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(log)) {
      String line;
      while ((line = r.readLine()) != null) {
        int a = line.indexOf(' ');
        int b = line.indexOf(' ', a + 1);
        int c = line.indexOf(' ', b + 1);
        if (a < 0 || b < 0 || c < 0) {
          continue;
        }
        String t = line.substring(b + 1, c);
        if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
          into.add(Long.parseLong(t));
        }
      }
    }
  }

  /**
   * A line of cost.tsv: cost, target, round, rate, clients, seconds measured, user ticks, system
   * ticks, context switches, ticks per second, pgbench's exit status. The transactions in the
   * window are pgbench's TPS (connection time excluded) times its length.
   */
  private void readCost(String[] f) throws IOException {
    Cost c = cost.computeIfAbsent(f[1], Cost::new);
    c.rate = Integer.parseInt(f[3]);
    c.clients = Integer.parseInt(f[4]);
    double seconds = Double.parseDouble(f[5]);
    double hz = Double.parseDouble(f[9]);
    int rc = Integer.parseInt(f[10]);
    double tps = Double.NaN;
    Path out = raw.resolve("cost").resolve(f[1] + "_r" + f[2] + ".txt");
    if (Files.exists(out)) {
      for (String line : Files.readAllLines(out)) {
        Matcher m = TPS.matcher(line);
        if (m.find()) {
          tps = Double.parseDouble(m.group(1));
        }
      }
    }
    if (rc != 0 || Double.isNaN(tps) || tps <= 0 || seconds <= 0) {
      c.failedRuns++;
      return;
    }
    double tx = tps * seconds;
    c.tps.add(tps);
    c.userUs.add(Long.parseLong(f[6]) / hz * 1e6 / tx);
    c.systemUs.add(Long.parseLong(f[7]) / hz * 1e6 / tx);
    c.switches.add(Long.parseLong(f[8]) / tx);
  }

  private void readBurst(String target, String round, int rc) throws IOException {
    Burst b = burst.computeIfAbsent(target, Burst::new);
    Path out = raw.resolve("burst").resolve(target + "_r" + round + ".out");
    boolean got = false;
    long roundConnections = 0;
    if (Files.exists(out)) {
      for (String line : Files.readAllLines(out)) {
        if (line.startsWith("pooler_cpu ")) {
          Map<String, String> kv = keyValues(line.substring("pooler_cpu ".length()));
          double hz = Double.parseDouble(kv.get("hz"));
          if (roundConnections > 0) {
            // A round whose client said nothing has no connections to share its CPU among.
            b.userSeconds += Long.parseLong(kv.get("user_ticks")) / hz;
            b.systemSeconds += Long.parseLong(kv.get("system_ticks")) / hz;
            b.cpuConnections += roundConnections;
          }
        } else if (line.startsWith("connections=")) {
          Map<String, String> kv = keyValues(line);
          roundConnections = Long.parseLong(kv.get("connections"));
          b.connections += roundConnections;
          b.ok += Long.parseLong(kv.get("ok"));
          b.failed += Long.parseLong(kv.get("failed"));
          b.perSecond.add(Double.parseDouble(kv.get("per_second")));
          got = true;
        } else if (line.startsWith("error ")) {
          Map<String, String> kv = keyValues(line);
          String msg = line.substring(line.indexOf("message=") + 8);
          b.errors.merge(normalize(msg), Integer.parseInt(kv.get("count")), Integer::sum);
        } else if (!line.isBlank()) {
          b.errors.merge(normalize(line), 1, Integer::sum);
        }
      }
    }
    if (rc != 0 || !got) {
      b.failedRuns++;
      b.errors.merge("burst client exit status " + rc, 1, Integer::sum);
    }
    Path ttfr = raw.resolve("burst").resolve(target + "_r" + round + ".ttfr");
    if (Files.exists(ttfr)) {
      for (String line : Files.readAllLines(ttfr)) {
        if (!line.isBlank()) {
          b.ttfrUs.add(Long.parseLong(line.trim()));
        }
      }
    }
  }

  static Map<String, String> keyValues(String line) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String f : line.trim().split("\\s+")) {
      int eq = f.indexOf('=');
      if (eq > 0) {
        m.put(f.substring(0, eq), f.substring(eq + 1));
      }
    }
    return m;
  }

  /** Lines of a log that match {@code regex}. */
  static List<String> grep(Path file, String regex) throws IOException {
    Pattern p = Pattern.compile(regex);
    List<String> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (p.matcher(line).find()) {
          out.add(line);
        }
      }
    }
    return out;
  }

  /** A log line with its timestamps, ids and numbers blanked, so that alike lines group. */
  static String normalize(String line) {
    String s = line.replaceFirst("^\\d{4}-\\d\\d-\\d\\d[ T][0-9:.,]+( UTC| [+-]\\d{4})?\\s+", "");
    s = s.replaceAll("\\b(C|S)-\\d+\\b", "$1-n");
    s = s.replaceAll("0x[0-9a-f]+", "0x…");
    s = s.replaceAll(":\\d{4,5}\\b", ":port");
    s = s.replaceAll("\\[\\d+\\]", "[pid]");
    s = s.replaceAll("\\b\\d+(\\.\\d+)?\\b", "N");
    return s.trim();
  }

  static double median(List<Double> v) {
    if (v.isEmpty()) {
      return Double.NaN;
    }
    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
