package dev.breakwater.client;

import java.io.PrintStream;

/**
 * {@code plan --db-max-connections N --instances M [--reserved R]}: prints the per-instance pool
 * size {@link PoolSizing} recommends. Exit status 0 when a size fits, 1 when none does, 2 on a
 * usage error. The pooler's command line calls {@link #run} for its own {@code plan} command.
 */
public final class PlanCommand {

  static final String USAGE =
      "usage: plan --db-max-connections N --instances M [--reserved R]\n"
          + "  --db-max-connections  the database's (or the pooler's) connection limit\n"
          + "  --instances           how many function instances may run at once\n"
          + "  --reserved            connections kept for other clients (default 0)";

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Runs the command; the first argument may be the word {@code plan}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Integer max = null;
    Integer instances = null;
    int reserved = 0;
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (i == 0 && arg.equals("plan")) {
          continue;
        }
        if (arg.equals("-h") || arg.equals("--help")) {
          out.println(USAGE);
          return 0;
        }
        String name = arg;
        String value;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          name = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException("missing value for " + arg);
        }
        switch (name) {
          case "--db-max-connections":
            max = number(name, value);
            break;
          case "--instances":
            instances = number(name, value);
            break;
          case "--reserved":
            reserved = number(name, value);
            break;
          default:
            throw new IllegalArgumentException("unknown option " + name);
        }
      }
      if (max == null || instances == null) {
        throw new IllegalArgumentException("--db-max-connections and --instances are required");
      }
      PoolSizing.Recommendation r = PoolSizing.recommend(max, instances, reserved);
      print(r, out);
      return r.fits() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      err.println("plan: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
  }

  private static int number(String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
    }
  }

  static void print(PoolSizing.Recommendation r, PrintStream out) {
    out.printf(
        "database connections: %d (%d reserved, %d usable)%n",
        r.databaseMaxConnections(), r.reserved(), r.usable());
    out.printf("instances:            %d%n", r.instances());
    if (r.fits()) {
      out.printf("pool size:            %d per instance%n", r.maxSize());
      out.printf(
          "at full scale:        %d x %d = %d of %d usable connections%n",
          r.instances(), r.maxSize(), r.atFullScale(), r.usable());
      out.printf("set:                  DATABASE_POOL_MAX_SIZE=%d%n", r.maxSize());
    } else {
      out.printf(
          "pool size:            none fits: %d instances need at least %d connections, %d are usable%n",
          r.instances(), r.instances(), r.usable());
      out.println(
          "advice:               put a transaction-mode pooler (Breakwater, PgBouncer, Neon's -pooler"
              + " endpoint) between the instances and the database, and plan with its client limit");
    }
    out.println(
        "rule:                 min(20, usable/2, 2.5*2^log10(usable), usable/instances), rounded down");
  }

  private PlanCommand() {}
}
