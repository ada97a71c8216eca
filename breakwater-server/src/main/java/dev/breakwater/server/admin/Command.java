package dev.breakwater.server.admin;

import java.util.concurrent.CompletionStage;

/** One console command: its work, and the reply once that is done (later, for PAUSE and the like). */
@FunctionalInterface
interface Command {
  CompletionStage<Reply> run(ConsoleSession session, String argument) throws AdminException;
}
