package dev.breakwater.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * The hot spots of a JFR recording, as text: methods by own samples (the top frame) and by
 * samples anywhere in the stack, allocation by class and by allocating method, garbage collection,
 * and contended monitors.
 *
 * <pre>JfrTop recording.jfr [rows]</pre>
 */
public final class JfrTop {

  public static void main(String[] args) throws IOException {
    Path file = Path.of(args[0]);
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> total = new HashMap<>();
    Map<String, Long> allocByClass = new HashMap<>();
    Map<String, Long> allocBySite = new HashMap<>();
    Map<String, Long> monitors = new HashMap<>();
    Map<String, Long> monitorNanos = new HashMap<>();
    Map<String, Long> nativeTop = new HashMap<>();
    Map<String, double[]> threadCpu = new HashMap<>();
    long nativeSamples = 0;
    long samples = 0;
    long allocTotal = 0;
    long gcs = 0;
    Duration gcPause = Duration.ZERO;
    Duration longestPause = Duration.ZERO;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      switch (type) {
        case "jdk.ExecutionSample" -> {
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          samples++;
          self.merge(name(st.getFrames().get(0)), 1L, Long::sum);
          Set<String> seen = new HashSet<>();
          for (RecordedFrame f : st.getFrames()) {
            String n = name(f);
            if (seen.add(n)) {
              total.merge(n, 1L, Long::sum);
            }
          }
        }
        case "jdk.NativeMethodSample" -> {
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          nativeSamples++;
          List<RecordedFrame> fr = st.getFrames();
          String k = name(fr.get(0));
          if (fr.size() > 1) {
            k += " < " + name(fr.get(1));
          }
          nativeTop.merge(k, 1L, Long::sum);
        }
        case "jdk.ThreadCPULoad" -> {
          if (e.getThread("eventThread") == null) {
            continue;
          }
          String t = e.getThread("eventThread").getJavaName();
          double[] acc = threadCpu.computeIfAbsent(t, k -> new double[2]);
          acc[0] += e.getFloat("user") + e.getFloat("system");
          acc[1]++;
        }
        case "jdk.ObjectAllocationSample" -> {
          long w = e.getLong("weight");
          allocTotal += w;
          RecordedClass c = e.getClass("objectClass");
          allocByClass.merge(c == null ? "?" : c.getName(), w, Long::sum);
          RecordedStackTrace st = e.getStackTrace();
          if (st != null) {
            for (RecordedFrame f : st.getFrames()) {
              String n = name(f);
              // The first frame outside the JDK and Netty's buffer internals: who allocated.
              if (!n.startsWith("java.") && !n.startsWith("jdk.") && !n.startsWith("io.netty.buffer.")
                  && !n.startsWith("io.netty.util.")) {
                allocBySite.merge(n, w, Long::sum);
                break;
              }
            }
          }
        }
        case "jdk.GarbageCollection" -> {
          gcs++;
          Duration d = e.getDuration("sumOfPauses");
          gcPause = gcPause.plus(d);
          if (d.compareTo(longestPause) > 0) {
            longestPause = d;
          }
        }
        case "jdk.JavaMonitorEnter" -> {
          RecordedClass c = e.getClass("monitorClass");
          String k = c == null ? "?" : c.getName();
          RecordedStackTrace st = e.getStackTrace();
          if (st != null && !st.getFrames().isEmpty()) {
            k += " at " + name(st.getFrames().get(0));
          }
          monitors.merge(k, 1L, Long::sum);
          monitorNanos.merge(k, e.getDuration().toNanos(), Long::sum);
        }
        default -> {}
      }
    }
    System.out.printf(Locale.ROOT, "%s: %d execution samples%n%n", file, samples);
    print("Hot methods, own samples (top frame)", self, samples, rows, "%");
    print("Hot methods, samples anywhere in the stack (dev.breakwater only)",
        filter(total, "dev.breakwater."), samples, rows, "%");
    print("Threads in native code (jdk.NativeMethodSample, " + nativeSamples
        + " samples): innermost frame < its caller", nativeTop, nativeSamples, rows, "%");
    System.out.println("CPU by thread (jdk.ThreadCPULoad: average share of the whole machine, user + system):");
    threadCpu.entrySet().stream()
        .filter(en -> en.getValue()[0] / en.getValue()[1] >= 0.005)
        .sorted((a, b) -> Double.compare(b.getValue()[0] / b.getValue()[1], a.getValue()[0] / a.getValue()[1]))
        .limit(rows)
        .forEach(en -> System.out.printf(Locale.ROOT, "%6.1f%%  %s%n",
            100 * en.getValue()[0] / en.getValue()[1], en.getKey()));
    System.out.println();
    print("Allocation by class (sampled weight)", allocByClass, allocTotal, rows, "%");
    print("Allocation by allocating method (first frame outside java., jdk., io.netty.buffer/util)",
        allocBySite, allocTotal, rows, "%");
    System.out.printf(Locale.ROOT, "Garbage collections: %d, pauses %.1f ms in all, longest %.2f ms%n%n",
        gcs, gcPause.toNanos() / 1e6, longestPause.toNanos() / 1e6);
    if (!monitors.isEmpty()) {
      System.out.println("Contended monitors (jdk.JavaMonitorEnter over its threshold): count, total ms");
      monitors.entrySet().stream()
          .sorted((a, b) -> Long.compare(monitorNanos.get(b.getKey()), monitorNanos.get(a.getKey())))
          .limit(rows)
          .forEach(en -> System.out.printf(Locale.ROOT, "%8d %10.1f  %s%n", en.getValue(),
              monitorNanos.get(en.getKey()) / 1e6, en.getKey()));
      System.out.println();
    }
  }

  private static Map<String, Long> filter(Map<String, Long> m, String prefix) {
    Map<String, Long> out = new HashMap<>();
    m.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static void print(String title, Map<String, Long> m, long all, int rows, String unit) {
    System.out.println(title + ":");
    List<Map.Entry<String, Long>> list = new ArrayList<>(m.entrySet());
    list.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
    for (int i = 0; i < Math.min(rows, list.size()); i++) {
      Map.Entry<String, Long> e = list.get(i);
      System.out.printf(Locale.ROOT, "%6.2f%s  %s%n", 100.0 * e.getValue() / Math.max(1, all), unit, e.getKey());
    }
    System.out.println();
  }

  private static String name(RecordedFrame f) {
    RecordedMethod m = f.getMethod();
    return m.getType().getName() + "." + m.getName();
  }

  private JfrTop() {}
}
