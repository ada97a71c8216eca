package dev.breakwater.server.maintenance;

import dev.breakwater.server.pool.Pools;
import io.netty.channel.EventLoop;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic maintenance: every tick, each pool expires clients that waited too long, opens its
 * reserve, keeps min_pool_size, and closes servers past server_idle_timeout or server_lifetime;
 * once a second, the work given to it.
 * Runs on one event loop and only takes pool locks briefly.
 */
public final class Janitor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Janitor.class);
  /** Timeouts fire within this much of their due time. */
  public static final long TICK_MILLIS = 100;

  private final ScheduledFuture<?> task;

  public Janitor(EventLoop loop, Pools pools) {
    this(loop, pools, () -> {});
  }

  /**
   * {@code everySecond} runs about once a second after the pools' own work: freeing unused pools
   * of the {@code *} entry, evicting expired auth_query answers.
   */
  public Janitor(EventLoop loop, Pools pools, Runnable everySecond) {
    int[] ticks = new int[1];
    this.task =
        loop.scheduleAtFixedRate(
            () -> {
              try {
                pools.maintain(System.nanoTime());
                if (++ticks[0] >= 1000 / TICK_MILLIS) {
                  ticks[0] = 0;
                  everySecond.run();
                }
              } catch (RuntimeException e) {
                log.error("maintenance failed", e);
              }
            },
            TICK_MILLIS,
            TICK_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
