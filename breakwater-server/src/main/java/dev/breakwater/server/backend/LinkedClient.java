package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.pool.Borrower;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.Map;
import java.util.Set;

/**
 * A client as its server sees it: what the server side needs of the client it is linked to (or
 * lent to, for a login), so that this package does not depend on the client's connection.
 * Implemented by the client's connection.
 *
 * <p>Unless said otherwise, callable from any thread: what acts on the client's channel queues
 * itself on the client's loop.
 */
public interface LinkedClient extends dev.breakwater.server.pool.PoolClient, StatementNames {

  /** The client's one link, made with it and kept for its life. */
  Link link();

  Channel channel();

  /** Still logging in: a server is lent only to learn the server's parameters. */
  boolean isLoggingIn();

  /** Called by a server lent for the login: the parameters to tell the client. */
  void welcome(Map<String, String> serverParameters);

  // ---- Called by its Link, holding the link's monitor: field writes only ----

  /** The link was made: the client is active. */
  void linked();

  /** The link ended: the client is idle, unless it closed. */
  void unlinked();

  /** The client kept bytes with no server: true when it must now ask its pool for one. */
  boolean startWaiting();

  // ---- Parameters (changed only by the linked server's loop, or at login) ----

  /** The parameters the client was told of; the linked server's loop updates them. */
  Map<String, String> reportedParameters();

  /** Settings beyond the reported ones, by SET or at startup. */
  Map<String, String> extraParameters();

  /** The settings the client gave at startup. */
  Map<String, String> startupExtras();

  /** The pool's parameters this client's start from, when it holds no others; else null. */
  Map<String, String> parameterBaseWithoutExtras();

  /** What the client holds beyond {@link #parameterBaseWithoutExtras}, or null. */
  Map<String, String> ownParameters();

  // ---- Flow ----

  /** Stops reading from the client until its server has drained what it was sent. */
  void pauseReading();

  /** Resumes reading from the client (backpressure released). */
  void resumeReading();

  /** The link is made: read again if reading was paused while waiting. */
  void onLinked();

  /** The transaction ended: notifications that waited for it go out. */
  void flushNotifications();

  // ---- Ends ----

  /** The linked server went away. */
  void serverLost(ServerConnection s, CloseReason reason, ErrorFields error);

  /**
   * The linked server went away while part of a message of its had been relayed to the client: the
   * client is closed without an ErrorResponse, which would land inside that message.
   */
  void serverLostMidMessage(ServerConnection s, CloseReason reason);

  /** Statement mode: the client opened a transaction. */
  void refuseTransaction();

  // ---- LISTEN in transaction mode ----

  /** The channels the client listens on, made on first use. */
  Set<String> listening();

  void listener(Listener l);

  /** A notification for this client (owned by the callee). */
  void deliverNotification(ByteBuf message);

  // ---- Replication ----

  ReplicationMode replication();

  /** A replication client's startup parameters, for its own server. */
  Map<String, String> replicationParameters();

  /** A replication client's own server logged in and is linked: its login ends. */
  void replicationLinked(Map<String, String> serverParameters);

  /** A replication client's server is gone: closed, with {@code error} after what was relayed. */
  void relayEnded(ErrorFields error);
}
