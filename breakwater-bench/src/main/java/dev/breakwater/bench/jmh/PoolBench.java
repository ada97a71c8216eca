package dev.breakwater.bench.jmh;

import dev.breakwater.server.backend.Backend;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.pool.PooledServer;
import dev.breakwater.server.pool.Pools;
import dev.breakwater.server.pool.ServerLauncher;
import io.netty.channel.EventLoop;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Pool#acquire} and {@link Pool#release}, the real code under the pool's lock, from one
 * thread or from two (two event loops on two cores: clients' loops acquiring while servers' loops
 * release).
 *
 * <p>Closed loop, as real clients are: each thread has 64 clients, each with at most one request
 * outstanding. One operation: the thread's next client that is not already waiting asks for a
 * server; then every server this thread was handed (by its own acquire, or by its releases, which
 * hand a server to the longest-waiting client of any thread) is given back. With {@code poolSize}
 * 20 and 2 threads nobody waits; with 1, clients queue and releases hand servers over. The
 * {@code handoffs} counter is the one to read: servers lent and given back per microsecond (one
 * pooled transaction's cost to the pool).
 *
 * <p>What is not the real thing: servers are made by {@link Backend#create} (public) but never
 * connected, and entered into the pool's private lists ({@code ServerLists.add}) by reflection,
 * since only a real connection puts them there. Clients are ClientConnections made by reflection (their constructor
 * is package-private) with a channel that only names their event loop. The event loops run
 * nothing, so {@code ServerConnection.attach} (the link itself, on the server's loop) is not
 * measured; the client a server was lent to is read from the task's captured argument. Clients'
 * loops never match servers' loops, so {@code ServerLists.pickIdle} always looks at its four candidates.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class PoolBench {

  static final int CLIENTS_PER_THREAD = 64;
  static final int MAX_CLIENTS = 1024;

  @Param({"20", "1"})
  public int poolSize;

  Pool pool;
  /** 1 while a client waits in the pool's queue; indexed by client id. */
  final AtomicIntegerArray waiting = new AtomicIntegerArray(MAX_CLIENTS);
  final Map<Long, Integer> slots = new ConcurrentHashMap<>();
  final AtomicLong nextSlot = new AtomicLong();
  /** The captured client of each kind of task a server is lent with. */
  final Map<Class<?>, Field> clientField = new ConcurrentHashMap<>();

  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    Backend backend = new Backend(null, null, null, null, null);
    ServerLauncher launcher =
        (p, loop) -> {
          throw new IllegalStateException("the benchmark's pool is full: no server is launched");
        };
    Pools pools = new Pools(launcher);
    PoolSettings settings = settings(poolSize);
    pool = pools.get(new PoolKey("bench", "bench"), () -> settings);
    Field lenderField = Pool.class.getDeclaredField("lender");
    lenderField.setAccessible(true);
    Object lender = lenderField.get(pool);
    Field listsField = lender.getClass().getDeclaredField("lists");
    listsField.setAccessible(true);
    Object lists = listsField.get(lender);
    Method add = lists.getClass().getDeclaredMethod("add", PooledServer.class);
    add.setAccessible(true);
    for (int i = 0; i < poolSize; i++) {
      FakeLoop loop = new FakeLoop();
      ServerConnection s = backend.create(pool, loop);
      loop.server = s;
      add.invoke(lists, s);
      pool.release(s);
    }
  }

  /** The pool's settings as bench/run's pgbouncer.ini gives them, resolved by the real code. */
  static PoolSettings settings(int poolSize) {
    try {
      Settings settings =
          ConfigLoader.load(
              "[databases]\nbench = host=127.0.0.1 port=5432 dbname=bench\n"
                  + "[pgbouncer]\nlisten_addr = 127.0.0.1\nauth_type = trust\npool_mode = transaction\n"
                  + "default_pool_size = " + poolSize + "\nmax_client_conn = 10000\n",
              Path.of("pgbouncer.ini"));
      return PoolSettings.resolve(settings, settings.database("bench").orElseThrow(), "bench");
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A thread's clients, all on one event loop of their own. */
  @State(Scope.Thread)
  public static class Clients {
    ClientConnection[] clients;
    int[] slot;
    int next;

    @Setup(Level.Trial)
    public void setUp(PoolBench bench) throws ReflectiveOperationException {
      EventLoop loop = new FakeLoop();
      clients = new ClientConnection[CLIENTS_PER_THREAD];
      slot = new int[CLIENTS_PER_THREAD];
      Constructor<ClientConnection> make =
          ClientConnection.class.getDeclaredConstructor(
              dev.breakwater.server.frontend.Frontend.class,
              io.netty.channel.Channel.class,
              long.class,
              String.class,
              String.class);
      make.setAccessible(true);
      for (int i = 0; i < clients.length; i++) {
        clients[i] = make.newInstance(null, new FakeChannel(loop), System.nanoTime(), "bench", "bench");
        slot[i] = (int) bench.nextSlot.getAndIncrement();
        bench.slots.put(clients[i].id(), slot[i]);
      }
    }
  }

  /** Servers lent and given back by this thread. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    public long handoffs;
  }

  @Benchmark
  @Threads(1)
  public int acquireRelease(Clients clients, Counters counters) throws IllegalAccessException {
    return cycle(clients, counters);
  }

  @Benchmark
  @Threads(2)
  public int acquireReleaseTwoThreads(Clients clients, Counters counters)
      throws IllegalAccessException {
    return cycle(clients, counters);
  }

  int cycle(Clients clients, Counters counters) throws IllegalAccessException {
    for (int tries = 0; tries < CLIENTS_PER_THREAD; tries++) {
      int i = clients.next;
      clients.next = (i + 1) % CLIENTS_PER_THREAD;
      if (waiting.get(clients.slot[i]) == 0) {
        // Marked before it may queue: whoever lends it a server clears the mark.
        waiting.set(clients.slot[i], 1);
        pool.acquire(clients.clients[i]);
        break;
      }
    }
    FakeLoop.Handed handed = FakeLoop.HANDED.get();
    int n = 0;
    while (!handed.servers.isEmpty()) {
      int last = handed.servers.size() - 1;
      ServerConnection s = handed.servers.remove(last);
      Runnable task = handed.tasks.remove(last);
      waiting.set(slots.get(lentTo(task).id()), 0);
      pool.release(s);
      n++;
    }
    counters.handoffs += n;
    return n;
  }

  /** The client captured by the task that would link a server to it. */
  private ClientConnection lentTo(Runnable task) throws IllegalAccessException {
    Field f =
        clientField.computeIfAbsent(
            task.getClass(),
            c -> {
              for (Field each : c.getDeclaredFields()) {
                // Captured as the client's type or as one it implements (a Borrower, a LinkedClient).
                if (each.getType().isAssignableFrom(ClientConnection.class) && each.getType() != Object.class) {
                  each.setAccessible(true);
                  return each;
                }
              }
              throw new IllegalStateException("no client captured by " + c);
            });
    return (ClientConnection) f.get(task);
  }

  /** The pool's idle servers: all of them between operations. */
  public int idleServers() {
    return pool.snapshot().idle();
  }
}
