package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium}) against Breakwater under
 * load from pgjdbc threads: the page polls, its numbers move, and it draws a pool card. Keeps a
 * screenshot in {@code docs/dashboard.png}. Skipped when {@code /usr/bin/chromium} is absent.
 */
class DashboardIT {

  static final String CHROMIUM = "/usr/bin/chromium";

  static Pooler pooler;
  static int port;
  static final AtomicBoolean running = new AtomicBoolean(true);
  static final AtomicLong done = new AtomicLong();
  static ExecutorService load;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        new File(CHROMIUM).canExecute(),
        "Chromium is not installed at " + CHROMIUM + " (apt-get install -y chromium): dashboard test skipped");
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .poolSize(3)
            .set("http_listen_port", Integer.toString(port))
            .start();
    // Six clients for three servers: some always wait, so every chart has something to show.
    load = Executors.newFixedThreadPool(6);
    for (int i = 0; i < 6; i++) {
      int n = i;
      load.execute(() -> {
        try (Connection c = pooler.connect(Roles.PLAIN)) {
          while (running.get()) {
            Sql.exec(c, "SELECT pg_sleep(0.00" + (2 + n % 3) + ")");
            done.incrementAndGet();
          }
        } catch (Exception e) {
          if (running.get()) {
            throw new RuntimeException(e);
          }
        }
      });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (done.get() < 50 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    running.set(false);
    if (load != null) {
      load.shutdown();
      load.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (pooler != null) {
      pooler.close();
    }
  }

  /** Runs Chromium headless with its own profile and returns its standard output. */
  static String chromium(String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("bw-chromium-");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("bw-chromium-", ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
      TempFiles.delete(out);
      TempFiles.delete(profile);
    }
  }

  static long attribute(String dom, String name) {
    Matcher m = Pattern.compile(name + "=\"(\\d+)\"").matcher(dom);
    assertThat(m.find()).as(name + " in the page").isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Until the server's history holds the pool: a page opened then starts with it. */
  static void awaitHistory() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      String h = http.send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/api/history")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      if (h.contains("\"database\":\"" + Roles.DATABASE + "\"") && h.contains("\"time\":[") && !h.contains("\"time\":[]")) {
        return;
      }
      assertThat(System.nanoTime()).as("history within 15 s: %s", h).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @Test
  void numbersOnThePageMoveUnderLoad() throws Exception {
    awaitHistory();
    String url = "http://127.0.0.1:" + port + "/";
    // Virtual time runs the page's one-second timer several times; fetches are real.
    String dom = chromium("--virtual-time-budget=6000", "--window-size=1280,1000", "--dump-dom", url);
    assertThat(dom).contains("data-pool=\"" + Roles.DATABASE + "/" + Roles.PLAIN + "\"");
    // The charts start with what the server kept before the page opened (api/history).
    assertThat(dom).containsPattern("data-history-points=\"[1-9][0-9]*\"");
    long polls = attribute(dom, "data-polls");
    long first = attribute(dom, "data-first-xacts");
    long last = attribute(dom, "data-last-xacts");
    assertThat(polls).as("polls of /api/overview").isGreaterThanOrEqualTo(3);
    assertThat(last).as("transactions shown, last against first poll").isGreaterThan(first);
    assertThat(dom).contains("class=\"pill healthy\"");
    // The rates are numbers once two polls are in.
    Matcher tps = Pattern.compile("class=\"number tps\"><b class=\"v\">([^<]+)</b>").matcher(dom);
    assertThat(tps.find()).isTrue();
    assertThat(tps.group(1)).isNotEqualTo("–");

    // A second look later shows more transactions: the page is live, not a snapshot.
    String later = chromium("--virtual-time-budget=3000", "--window-size=390,844", "--dump-dom", url);
    assertThat(attribute(later, "data-last-xacts")).isGreaterThan(last);
  }

  @Test
  void screenshotForTheDocs(@TempDir Path tmp) throws Exception {
    Path shot = tmp.resolve("dashboard.png");
    chromium("--virtual-time-budget=9000", "--window-size=1280,1100", "--screenshot=" + shot, "http://127.0.0.1:" + port + "/");
    assertThat(Files.size(shot)).isGreaterThan(10_000);
    Path docs = Path.of("..", "docs");
    if (Files.isDirectory(docs)) {
      Files.copy(shot, docs.resolve("dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
    }
    Path phone = tmp.resolve("dashboard-phone.png");
    chromium("--virtual-time-budget=6000", "--window-size=390,1200", "--screenshot=" + phone, "http://127.0.0.1:" + port + "/");
    assertThat(Files.size(phone)).isGreaterThan(10_000);
    if (Files.isDirectory(docs)) {
      Files.copy(phone, docs.resolve("dashboard-phone.png"), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
