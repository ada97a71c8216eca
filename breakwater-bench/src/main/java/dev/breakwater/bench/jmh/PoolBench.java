package dev.breakwater.bench.jmh;

import dev.breakwater.server.backend.Backend;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.pool.Pools;
import io.netty.channel.EventLoop;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Pool#acquire} and {@link Pool#release}, the real code under the pool's lock, from one
 * thread or from two (two event loops on two cores, clients' loops calling acquire while servers'
 * loops call release).
 *
 * <p>One operation: a client asks for a server ({@code acquire}); every server this thread was
 * handed (its own client's, or, after a release, a waiting client's) is given back
 * ({@code release}), which hands it to the next waiting client if there is one. With
 * {@code poolSize} 20 nobody waits; with 1, clients queue and releases hand servers over.
 *
 * <p>What is not the real thing: servers are made by {@link Backend#create} (public) but never
 * connected, and entered into the pool's private set of servers by reflection, since only
 * {@code connect()} (real sockets) puts them there. Clients are ClientConnections made by
 * reflection (their constructor is package-private) with a channel that only names their event
 * loop. The event loops run nothing: {@code ServerConnection.attach} (the link, on the server's
 * loop) is not measured. Clients' loops never match servers' loops, so {@code takeIdle} always
 * looks at 4 idle servers before taking the first: its worst case.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class PoolBench {

  @Param({"20", "1"})
  public int poolSize;

  Pool pool;

  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    Backend backend = new Backend(null, null, null, null, null);
    Pool.ServerLauncher launcher =
        (p, loop) -> {
          throw new IllegalStateException("the benchmark's pool is full: no server is launched");
        };
    Pools pools = new Pools(launcher);
    PoolSettings settings = settings(poolSize);
    pool = pools.get(new PoolKey("bench", "bench"), () -> settings);
    Field f = Pool.class.getDeclaredField("servers");
    f.setAccessible(true);
    @SuppressWarnings("unchecked")
    Set<ServerConnection> servers = (Set<ServerConnection>) f.get(pool);
    for (int i = 0; i < poolSize; i++) {
      FakeLoop loop = new FakeLoop();
      ServerConnection s = backend.create(pool, loop);
      loop.server = s;
      servers.add(s);
      pool.release(s);
    }
  }

  static PoolSettings settings(int poolSize) {
    return new PoolSettings(
        "bench", "127.0.0.1", 5432, "bench", "bench", null, false, PoolMode.TRANSACTION,
        poolSize, 0, 0, Duration.ZERO, 0, 0, "DISCARD ALL", false,
        Duration.ofSeconds(120), Duration.ofSeconds(15), Duration.ofSeconds(15),
        Duration.ofSeconds(600), Duration.ofSeconds(3600), null, Map.of());
  }

  /** A thread's clients, all on one event loop of their own. */
  @State(Scope.Thread)
  public static class Clients {
    ClientConnection[] clients;
    int next;

    @Setup(Level.Trial)
    public void setUp() throws ReflectiveOperationException {
      EventLoop loop = new FakeLoop();
      clients = new ClientConnection[64];
      Constructor<ClientConnection> make =
          ClientConnection.class.getDeclaredConstructor(
              dev.breakwater.server.frontend.Frontend.class,
              dev.breakwater.protocol.StartupPacket.StartupMessage.class,
              long.class);
      make.setAccessible(true);
      Field channel = ClientConnection.class.getDeclaredField("channel");
      channel.setAccessible(true);
      for (int i = 0; i < clients.length; i++) {
        clients[i] = make.newInstance(null, null, System.nanoTime());
        channel.set(clients[i], new FakeChannel(loop));
      }
    }

    ClientConnection next() {
      ClientConnection c = clients[next];
      next = (next + 1) & (clients.length - 1);
      return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      FakeLoop.HANDED.remove();
    }
  }

  @Benchmark
  @Threads(1)
  public int acquireRelease(Clients clients) {
    return cycle(clients);
  }

  @Benchmark
  @Threads(2)
  public int acquireReleaseTwoThreads(Clients clients) {
    return cycle(clients);
  }

  /** The pool's idle servers: all of them between operations. */
  public int idleServers() {
    return pool.snapshot().idle();
  }

  int cycle(Clients clients) {
    pool.acquire(clients.next());
    List<ServerConnection> handed = FakeLoop.HANDED.get();
    int n = 0;
    while (!handed.isEmpty()) {
      pool.release(handed.remove(handed.size() - 1));
      n++;
    }
    return n;
  }
}
