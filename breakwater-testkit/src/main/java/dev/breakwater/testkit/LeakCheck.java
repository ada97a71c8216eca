package dev.breakwater.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer during it. Registered for every test by
 * JUnit's extension auto-detection (see META-INF/services); leak detection runs at the level the
 * build sets (paranoid). Netty notices a leak only when the buffer is garbage collected, so after
 * each class this collects garbage and allocates a little to give the detector its chance.
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static volatile boolean installed;

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(
        new ResourceLeakDetectorFactory() {
          @Override
          public <T> ResourceLeakDetector<T> newResourceLeakDetector(
              Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<T>(resource, samplingInterval) {
              @Override
              protected void reportTracedLeak(String resourceType, String records) {
                LEAKS.add(resourceType + " leaked:" + records);
                super.reportTracedLeak(resourceType, records);
              }

              @Override
              protected void reportUntracedLeak(String resourceType) {
                LEAKS.add(resourceType + " leaked");
                super.reportUntracedLeak(resourceType);
              }
            };
          }
        });
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    check(context.getDisplayName());
  }

  /** Starts watching: forgets the leaks reported before (a class's callback, or a runner of its own). */
  public static void start() {
    install();
    LEAKS.clear();
  }

  /** Fails with the first leak Netty reported since {@link #start()}, after giving it a chance to notice. */
  public static void check(String where) throws InterruptedException {
    for (int round = 0; round < 3 && LEAKS.isEmpty(); round++) {
      System.gc();
      Thread.sleep(50);
      for (int i = 0; i < 200; i++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(64);
        b.release();
      }
    }
    if (!LEAKS.isEmpty()) {
      String first = LEAKS.get(0);
      int n = LEAKS.size();
      LEAKS.clear();
      throw new AssertionError(n + " Netty buffer leak(s) in " + where + ":\n" + first);
    }
  }
}
