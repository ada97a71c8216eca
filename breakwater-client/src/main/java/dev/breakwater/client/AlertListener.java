package dev.breakwater.client;

/**
 * Receives alert events from the pool's monitor thread: one {@code STARTED} when a condition has
 * held long enough, one {@code ENDED} when it stops. Keep it quick; exceptions are logged and
 * dropped.
 */
@FunctionalInterface
public interface AlertListener {
  void onAlert(AlertEvent event);
}
