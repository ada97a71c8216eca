package dev.breakwater.server;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.ScramSecret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Caches the costly PBKDF2 step of SCRAM, as PgBouncer does: the keys derived from a password for
 * a given salt and iteration count, and the verifier made for a user whose auth file secret is a
 * plain password. A burst of logins then costs a few HMACs each instead of 4096 rounds; so do the
 * HTTP listener's clients, each of which logs in with a cleartext password.
 *
 * <p>Entries are keyed by a SHA-256 hash of what they were derived from (never the password
 * itself), are bounded in number and expire {@link #TTL_NANOS} after they were made. A client's
 * cleartext password is derived off the event loops ({@link #keysAsync}) and its keys are kept
 * only once they matched the verifier ({@link #rememberVerified}): a wrong password leaves
 * nothing here. The passwords {@link #keys} and {@link #verifier} take are the pooler's own (a
 * server password, an auth file entry).
 */
public final class ScramCache {
  private static final int MAX_ENTRIES = 10_000;
  /** How long derived keys are kept. */
  static final long TTL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Entry<T>(T value, long expiresNanos) {}

  /** Most PBKDF2 derivations waiting for a thread; past it, logins are refused (53300). */
  static final int MAX_QUEUED = 1024;

  /**
   * Where client passwords are derived: never an event loop, so that logins with a wrong
   * password, each a full PBKDF2, do not hold up other connections. Daemon threads, half the
   * cores, gone when idle.
   */
  private final ThreadPoolExecutor deriving;

  {
    int n = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    deriving =
        new ThreadPoolExecutor(
            n,
            n,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED),
            r -> {
              Thread t = new Thread(r, "bw-scram");
              t.setDaemon(true);
              return t;
            });
    deriving.allowCoreThreadTimeOut(true);
  }

  private final ConcurrentHashMap<String, Entry<ScramKeys>> keys = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Entry<ScramSecret>> verifiers = new ConcurrentHashMap<>();

  /** The keys of {@code password} for the salt and iterations a server asked for. */
  public ScramKeys keys(String password, byte[] salt, int iterations) {
    String k = keysKey(password, salt, iterations);
    long now = System.nanoTime();
    Entry<ScramKeys> cached = keys.get(k);
    if (cached != null && cached.expiresNanos() - now > 0) {
      return cached.value();
    }
    ScramKeys derived = ScramKeys.derive(password, salt, iterations);
    if (keys.size() >= MAX_ENTRIES) {
      keys.clear();
    }
    keys.put(k, new Entry<>(derived, now + TTL_NANOS));
    return derived;
  }

  /** A verifier for a plain password, made once per (user, password) with a random salt. */
  public ScramSecret verifier(String user, String password) {
    String k = verifierKey(user, password);
    long now = System.nanoTime();
    Entry<ScramSecret> cached = verifiers.get(k);
    if (cached != null && cached.expiresNanos() - now > 0) {
      return cached.value();
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    ScramSecret made = ScramSecret.fromPassword(password, salt, ScramSecret.DEFAULT_ITERATIONS);
    if (verifiers.size() >= MAX_ENTRIES) {
      verifiers.clear();
    }
    Entry<ScramSecret> mine = new Entry<>(made, now + TTL_NANOS);
    Entry<ScramSecret> raced = verifiers.putIfAbsent(k, mine);
    if (raced != null && raced.expiresNanos() - now > 0) {
      return raced.value();
    }
    verifiers.put(k, mine);
    return made;
  }

  /**
   * The keys of a client's cleartext password, if that password was verified against {@code
   * verifier} before (and is still cached): a login checked without PBKDF2. Null otherwise.
   */
  public ScramKeys verifiedKeys(String password, ScramSecret verifier) {
    Entry<ScramKeys> cached = keys.get(keysKey(password, verifier.salt(), verifier.iterations()));
    if (cached == null || cached.expiresNanos() - System.nanoTime() <= 0) {
      return null;
    }
    ScramKeys k = cached.value();
    return matches(k, verifier) ? k : null;
  }

  /** Keeps the keys of a cleartext password that matched {@code verifier}; never of another. */
  public void rememberVerified(String password, ScramSecret verifier, ScramKeys derived) {
    if (!matches(derived, verifier)) {
      return;
    }
    if (keys.size() >= MAX_ENTRIES) {
      keys.clear();
    }
    keys.put(
        keysKey(password, verifier.salt(), verifier.iterations()),
        new Entry<>(derived, System.nanoTime() + TTL_NANOS));
  }

  /** Whether keys derived from a password are those of the verifier. */
  public static boolean matches(ScramKeys k, ScramSecret verifier) {
    return MessageDigest.isEqual(k.storedKey(), verifier.storedKey())
        && MessageDigest.isEqual(k.serverKey(), verifier.serverKey());
  }

  /**
   * Derives keys off the event loops, caching nothing: the password is a client's, not verified
   * yet. Fails with 53300 when too many derivations are queued already (a flood of logins).
   */
  public CompletableFuture<ScramKeys> keysAsync(String password, byte[] salt, int iterations) {
    return offLoop(() -> ScramKeys.derive(password, salt, iterations));
  }

  /** The verifier of an auth file's plain password when it is cached, else null. */
  public ScramSecret cachedVerifier(String user, String password) {
    Entry<ScramSecret> cached = verifiers.get(verifierKey(user, password));
    return cached != null && cached.expiresNanos() - System.nanoTime() > 0 ? cached.value() : null;
  }

  /** {@link #verifier}, made off the event loops. */
  public CompletableFuture<ScramSecret> verifierAsync(String user, String password) {
    return offLoop(() -> verifier(user, password));
  }

  private <T> CompletableFuture<T> offLoop(java.util.function.Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, deriving);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new ProtocolException(
              "53300", "too many logins are having their password checked; try again later"));
    }
  }

  /** How many key sets are cached (tests). */
  public int size() {
    return keys.size();
  }

  private static String keysKey(String password, byte[] salt, int iterations) {
    return hash(iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":" + password);
  }

  private static String verifierKey(String user, String password) {
    return hash(user.length() + ":" + user + password);
  }

  private static String hash(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return Base64.getEncoder().encodeToString(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
