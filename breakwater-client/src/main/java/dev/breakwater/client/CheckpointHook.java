package dev.breakwater.client;

import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * Closes a pool's connections before a checkpoint and lets it open new ones after the restore:
 * CRaC (a JVM snapshot) and AWS Lambda SnapStart (which runs the same hooks) would otherwise freeze
 * sockets that are dead by the time a copy of the snapshot wakes, perhaps hours later and many
 * times over. Before: the pool is suspended (callers of getConnection wait), idle connections are
 * closed at once and lent ones as they come back, for at most the pool's connection timeout.
 * After: the pool resumes and opens connections as they are asked for. On a JVM without CRaC,
 * registering does nothing.
 */
final class CheckpointHook implements Resource {

  private final BreakwaterPool pool;

  private CheckpointHook(BreakwaterPool pool) {
    this.pool = pool;
  }

  /** Registers a hook for {@code pool}; the pool keeps the returned hook (CRaC holds it weakly). */
  static CheckpointHook register(BreakwaterPool pool) {
    CheckpointHook hook = new CheckpointHook(pool);
    Core.getGlobalContext().register(hook);
    return hook;
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
    pool.beforeCheckpoint();
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) throws Exception {
    pool.afterRestore();
  }
}
