package dev.breakwater.server.backend;

import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.stats.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's requests on their way to one server: scanned once more on the server's loop, so
 * that named prepared statements are mapped to the server's own (a client's {@code S_1} becomes
 * {@code BW_n}, prepared here first if this server lacks it), each request is entered in a {@link
 * RequestQueue} (so that replies Breakwater must hide or add are placed exactly), and the {@link
 * SessionTracker} learns what runs: a Query's text, a Parse's text kept for its Binds, a Bind
 * that runs a statement, and what it cannot read (a FunctionCall, a message too long to read).
 *
 * <p>One per server connection, used on its event loop only.
 */
final class StatementMapper {

  private static final Logger log = LoggerFactory.getLogger(StatementMapper.class);
  /**
   * Client messages longer than this are forwarded unread: a Bind this long to a named statement
   * is not rewritten (and fails on the server).
   */
  static final int MAX_CLIENT_INSPECTED = 64 << 20;

  /** What the mapper needs of the pool and of what servers share, read when used. */
  record Context(
      PreparedStatements registry,
      java.util.function.IntSupplier maxPreparedStatements,
      PoolStats stats,
      java.util.function.BooleanSupplier sessionPinning) {}

  /** Turns reading of one kind of server message on or off (the server's scanner). */
  interface Inspect {
    void accept(byte type, boolean on);
  }

  /** Names the server in log lines. */
  private final Object server;
  private final Context context;
  private final SessionTracker tracker;
  private final Map<String, String> reported;
  private final ByteBufAllocator alloc;
  private final Inspect inspect;
  private final ClientSide clientSide = new ClientSide();
  private final FrameScanner fromClient;
  private final Outbox toServer;
  private final RequestQueue queue = new RequestQueue();
  private final ServerStatements statements = new ServerStatements();
  /** Whether protocol-level prepared statements are mapped (transaction and statement modes). */
  private boolean mapStatements;
  /** Whether the client's session state is followed (transaction and statement modes). */
  private boolean trackSession;
  /** Whether replies are read one by one, to hide some and insert others at their place. */
  private boolean splitting;
  /** DISCARD ALL or DEALLOCATE ALL sent: CommandComplete tags are read to learn when it is done. */
  private boolean watchTags;
  /** The Syncs the server will skip, counted as the client's messages pass. */
  final CopySyncs copySyncs = new CopySyncs();

  StatementMapper(
      Object server,
      Context context,
      SessionTracker tracker,
      Map<String, String> reported,
      ByteBufAllocator alloc,
      Inspect inspect) {
    this.server = server;
    this.context = context;
    this.tracker = tracker;
    this.reported = reported;
    this.alloc = alloc;
    this.inspect = inspect;
    this.fromClient = new FrameScanner(alloc, MAX_CLIENT_INSPECTED, ServerConnection.CLIENT_TYPES);
    fromClient.budget(dev.breakwater.server.ClientMemory.GLOBAL);
    this.toServer = new Outbox(alloc);
  }

  /** A client is linked: what its pool mode asks of this direction. */
  void modes(boolean trackSession, boolean mapStatements) {
    this.trackSession = trackSession;
    this.mapStatements = mapStatements;
  }

  boolean mapsStatements() {
    return mapStatements;
  }

  boolean tracksSession() {
    return trackSession;
  }

  /** Whether replies are read one by one now (requests to hide or answer are queued). */
  boolean splitting() {
    return splitting;
  }

  /** Whether CommandComplete tags are read (DISCARD ALL or DEALLOCATE ALL on its way). */
  boolean watchesTags() {
    return watchTags;
  }

  /** DISCARD ALL or DEALLOCATE ALL done: the server has no prepared statements left. */
  void statementsDropped(StatementNames c) {
    statements.clear();
    if (c != null) {
      c.statements().clear();
    }
    watchTags = false;
  }

  /** The server's session was reset (DISCARD ALL): it has no prepared statements left. */
  void serverReset() {
    statements.clear();
  }

  /** Prepared statements on this server now, for SHOW SERVERS (read from any thread). */
  int statementCount() {
    return statements.size();
  }

  /** Whether requests are waiting for replies. */
  boolean hasRequests() {
    return !queue.isEmpty();
  }

  /** The link ended: no request waits for a reply any more. */
  void clear() {
    queue.clear();
    copySyncs.clear();
    updateSplitting();
  }

  /** Whether the server has part of a client message: nothing can follow it. */
  boolean midForwardedMessage() {
    return fromClient.midForwardedMessage();
  }

  /** Forgets a message the client never finished (it never reached the server). */
  void forgetPartial() {
    fromClient.release();
  }

  void release() {
    fromClient.release();
    toServer.clear();
  }

  /**
   * Scans a batch of {@code c}'s bytes (released here): the bytes for the server, or null.
   *
   * @throws dev.breakwater.protocol.ProtocolException when the client broke the protocol
   */
  ByteBuf scan(StatementNames c, ByteBuf batch) {
    clientSide.client = c;
    try {
      fromClient.scan(batch, clientSide);
    } catch (RuntimeException e) {
      toServer.clear();
      throw e;
    } finally {
      batch.release();
      // Held no longer than the scan: a client that left must not stay reachable from here.
      clientSide.client = null;
    }
    ByteBuf out = toServer.take();
    updateSplitting();
    return out;
  }

  /** Replies Breakwater owes at the head of the queue (a Parse or Close it answered), or null. */
  ByteBuf fakesDue() {
    if (!queue.hasSpecial() || !isFake(queue.headAction())) {
      return null;
    }
    Outbox fakes = new Outbox(alloc);
    emitFakes(fakes);
    return fakes.take();
  }

  /** The client-to-server direction: maps statement names and records each request. */
  private final class ClientSide implements FrameScanner.Handler {
    StatementNames client;

    @Override
    public boolean onMessage(byte type, ByteBuf message) {
      copySyncs.clientMessage(type);
      if (trackSession) {
        if (type == MessageType.QUERY) {
          trackStatement(client, message);
        } else if (type == MessageType.PARSE) {
          trackParse(message);
        } else if (type == MessageType.BIND) {
          trackBind(client, message);
        }
      }
      if (!mapStatements) {
        return true;
      }
      switch (type) {
        case MessageType.PARSE:
          return onParse(client, message);
        case MessageType.BIND:
          return onBind(client, message);
        case MessageType.DESCRIBE:
          return onDescribe(client, message);
        case MessageType.CLOSE:
          return onClose(client, message);
        case MessageType.QUERY:
          queue.push(type, RequestQueue.FORWARD, null);
          return true;
        default:
          queue.push(type, RequestQueue.FORWARD, null);
          return true;
      }
    }

    @Override
    public void onForwardedHeader(byte type, int length) {
      copySyncs.clientMessage(type);
      if (trackSession && type == MessageType.FUNCTION_CALL) {
        // A function called by its OID: set_config or anything else.
        tracker.uncertain("function_call");
      }
      if (mapStatements && isRequest(type)) {
        queue.push(type, RequestQueue.FORWARD, null);
      }
    }

    @Override
    public boolean onOversized(byte type, int length) {
      if (trackSession
          && (type == MessageType.QUERY || type == MessageType.PARSE || type == MessageType.BIND)) {
        // Forwarded unread: what it does to the session is not known.
        tracker.uncertain("oversized");
      }
      return true;
    }

    @Override
    public void onForward(ByteBuf bytes) {
      toServer.add(bytes);
    }
  }

  /** Reads the SQL of a Query for session state (SETs, pins, LISTEN). */
  private void trackStatement(StatementNames c, ByteBuf message) {
    onEffects(c, tracker.onStatement(Codec.body(message), context.sessionPinning().getAsBoolean(), lexing()));
  }

  /**
   * A Parse runs nothing: its effects are kept for the Binds that run it (the unnamed statement's
   * and, without mapping, a named one's here; a mapped statement keeps its own, see onParse).
   */
  private void trackParse(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    if (!body.isReadable()) {
      return; // an empty Parse: refused by onParse, or by PostgreSQL
    }
    if (body.getByte(body.readerIndex()) == 0) {
      body.skipBytes(1);
      tracker.onParse("", tracker.effectsOf(body, lexing()));
    } else if (!mapStatements) {
      String name = Codec.readCString(body);
      tracker.onParse(name, tracker.effectsOf(body, lexing()));
    }
  }

  /**
   * A Bind runs a statement: its effects happen now, every time. A mapped named statement's are
   * applied by onBind, which reads its name anyway.
   */
  private void trackBind(StatementNames c, ByteBuf message) {
    // Read in place: the unnamed statement (most Binds) costs no allocation.
    int from = message.readerIndex() + 5;
    int portalEnd = message.indexOf(from, message.writerIndex(), (byte) 0);
    if (portalEnd < 0 || portalEnd + 1 >= message.writerIndex()) {
      return;
    }
    if (message.getByte(portalEnd + 1) == 0) {
      runs(c, tracker.parsed(""));
    } else if (!mapStatements) {
      runs(c, tracker.parsed(Codec.readCString(message.slice(portalEnd + 1, message.writerIndex() - portalEnd - 1))));
    }
  }

  /** A statement with these effects runs for {@code c}. */
  private void runs(StatementNames c, List<dev.breakwater.server.sql.Effect> effects) {
    onEffects(c, tracker.onBind(effects, context.sessionPinning().getAsBoolean()));
  }

  /** How this server reads SQL now (standard_conforming_strings, client_encoding). */
  private SessionTracker.Lexing lexing() {
    String scsValue = reported.get("standard_conforming_strings");
    String encoding = reported.get("client_encoding");
    if (scsValue != lexingScs || encoding != lexingEncoding) {
      // The server's values changed (rarely): decide again.
      lexingScs = scsValue;
      lexingEncoding = encoding;
      boolean scs = !"off".equalsIgnoreCase(scsValue);
      boolean safe = encoding == null || !UNSAFE_ENCODINGS.contains(encoding.toUpperCase(java.util.Locale.ROOT));
      lexing = scs && safe ? SessionTracker.Lexing.DEFAULT : new SessionTracker.Lexing(scs, safe);
    }
    return lexing;
  }

  /** The values {@link #lexing} was last decided on, compared by identity. */
  private String lexingScs;
  private String lexingEncoding;
  private SessionTracker.Lexing lexing = SessionTracker.Lexing.DEFAULT;

  /** Client encodings whose multibyte characters may contain the bytes of ' or \. */
  private static final java.util.Set<String> UNSAFE_ENCODINGS =
      java.util.Set.of("SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB");

  private void onEffects(StatementNames c, String pinned) {
    if (tracker.droppedStatements() && !watchTags) {
      // DISCARD ALL or DEALLOCATE ALL: read CommandComplete tags to learn when it is done.
      watchTags = true;
      updateSplitting();
    }
    if (pinned != null) {
      context.stats().pinned(pinned);
      log.debug("{}: {} is pinned to this server: {}", server, c, pinned);
    }
  }

  private static boolean isRequest(byte type) {
    switch (type) {
      case MessageType.PARSE:
      case MessageType.BIND:
      case MessageType.DESCRIBE:
      case MessageType.EXECUTE:
      case MessageType.CLOSE:
      case MessageType.SYNC:
      case MessageType.QUERY:
      case MessageType.FUNCTION_CALL:
        return true;
      default:
        return false;
    }
  }

  private boolean onParse(StatementNames c, ByteBuf message) {
    ByteBuf body = Codec.body(message);
    String name = Codec.readCString(body);
    if (name.isEmpty()) {
      queue.push(MessageType.PARSE, RequestQueue.FORWARD, null);
      return true;
    }
    fromClient.flushBefore();
    if (c.statements().containsKey(name)) {
      refuseDuplicate(name);
      return false;
    }
    PreparedStatements registry = context.registry();
    PreparedStatements.Statement stmt = registry.intern(body);
    stmt.effects(tracker.effectsOf(body, lexing()));
    registry.clientParses.increment();
    context.stats().clientParse();
    c.statements().put(name, stmt);
    if (statements.touch(stmt)) {
      queue.push(MessageType.PARSE, RequestQueue.FAKE_PARSE_COMPLETE, null);
    } else {
      prepare(stmt, RequestQueue.FORWARD);
    }
    return false;
  }

  /** A statement text no server can parse: a named Parse of it fails and leaves nothing behind. */
  private static final String UNPARSABLE = "breakwater: statement name already in use";

  /**
   * PostgreSQL refuses a Parse of a name the session already uses (42P05). The name is the
   * client's, mapped here, so the server would not know: it is sent a Parse that fails instead,
   * which makes it skip to Sync and abort a transaction block exactly as PostgreSQL would, and its
   * error is replaced by PostgreSQL's ({@link #takeDuplicateName}).
   */
  private void refuseDuplicate(String name) {
    ByteBuf parse = alloc.buffer(64);
    int at = Codec.beginMessage(parse, MessageType.PARSE);
    Codec.writeCString(parse, "B_duplicate");
    Codec.writeCString(parse, UNPARSABLE);
    parse.writeShort(0);
    Codec.endMessage(parse, at);
    toServer.add(parse);
    queue.push(MessageType.PARSE, RequestQueue.DUPLICATE_NAME, name);
  }

  /** Set by {@link #advance} when the error at hand answers {@link #refuseDuplicate}'s Parse. */
  private String duplicateName;

  /**
   * After {@link #advance} of an ErrorResponse: the client's statement name when the error is the
   * one {@link #refuseDuplicate} provoked (the caller sends PostgreSQL's error instead), else null.
   */
  String takeDuplicateName() {
    String n = duplicateName;
    duplicateName = null;
    return n;
  }

  private boolean onBind(StatementNames c, ByteBuf message) {
    ByteBuf body = Codec.body(message);
    String portal = Codec.readCString(body);
    String name = Codec.readCString(body);
    PreparedStatements.Statement stmt = name.isEmpty() ? null : c.statements().get(name);
    if (stmt == null) {
      queue.push(MessageType.BIND, RequestQueue.FORWARD, null);
      return true;
    }
    runs(c, stmt.effects());
    fromClient.flushBefore();
    ensurePrepared(stmt);
    context.registry().binds.increment();
    context.stats().bind();
    ByteBuf head = alloc.buffer(32 + portal.length());
    int at = Codec.beginMessage(head, MessageType.BIND);
    Codec.writeCString(head, portal);
    Codec.writeCString(head, stmt.serverName());
    int rest = body.readableBytes();
    head.setInt(at, head.writerIndex() - at + rest);
    toServer.add(head);
    toServer.add(body.retainedSlice());
    queue.push(MessageType.BIND, RequestQueue.FORWARD, null);
    return false;
  }

  private boolean onDescribe(StatementNames c, ByteBuf message) {
    ByteBuf body = Codec.body(message);
    if (!body.isReadable()) {
      throw new ProtocolException("invalid message format: " + MessageType.describe(message.getByte(message.readerIndex())) + " without its kind");
    }
    byte kind = body.readByte();
    String name = Codec.readCString(body);
    PreparedStatements.Statement stmt =
        kind == 'S' && !name.isEmpty() ? c.statements().get(name) : null;
    if (stmt == null) {
      queue.push(MessageType.DESCRIBE, RequestQueue.FORWARD, null);
      return true;
    }
    fromClient.flushBefore();
    ensurePrepared(stmt);
    toServer.add(statementMessage(MessageType.DESCRIBE, stmt));
    queue.push(MessageType.DESCRIBE, RequestQueue.FORWARD, null);
    return false;
  }

  /** A Describe or Close of a statement by its server name. */
  private ByteBuf statementMessage(byte type, PreparedStatements.Statement stmt) {
    ByteBuf out = alloc.buffer(16 + stmt.serverName().length());
    int at = Codec.beginMessage(out, type);
    out.writeByte('S');
    Codec.writeCString(out, stmt.serverName());
    Codec.endMessage(out, at);
    return out;
  }

  private boolean onClose(StatementNames c, ByteBuf message) {
    ByteBuf body = Codec.body(message);
    if (!body.isReadable()) {
      throw new ProtocolException("invalid message format: " + MessageType.describe(message.getByte(message.readerIndex())) + " without its kind");
    }
    byte kind = body.readByte();
    String name = Codec.readCString(body);
    if (kind == 'S' && !name.isEmpty()) {
      // Answered here: the statement stays prepared on servers for other clients.
      c.statements().remove(name);
      queue.push(MessageType.CLOSE, RequestQueue.FAKE_CLOSE_COMPLETE, null);
      return false;
    }
    queue.push(MessageType.CLOSE, RequestQueue.FORWARD, null);
    return true;
  }

  /** Before a Bind or Describe: prepares the statement here if this server lacks it. */
  private void ensurePrepared(PreparedStatements.Statement stmt) {
    if (!statements.touch(stmt)) {
      prepare(stmt, RequestQueue.HIDE);
    }
  }

  private void prepare(PreparedStatements.Statement stmt, byte action) {
    PreparedStatements registry = context.registry();
    for (PreparedStatements.Statement evicted : statements.add(stmt, context.maxPreparedStatements().getAsInt())) {
      toServer.add(statementMessage(MessageType.CLOSE, evicted));
      queue.push(MessageType.CLOSE, RequestQueue.HIDE, null);
      registry.evictions.increment();
      context.stats().eviction();
    }
    byte[] rest = stmt.parseBody();
    ByteBuf parse = alloc.buffer(16 + stmt.serverName().length() + rest.length);
    int at = Codec.beginMessage(parse, MessageType.PARSE);
    Codec.writeCString(parse, stmt.serverName());
    parse.writeBytes(rest);
    Codec.endMessage(parse, at);
    toServer.add(parse);
    queue.push(MessageType.PARSE, action, stmt);
    registry.serverParses.increment();
    context.stats().serverParse();
  }


  void updateSplitting() {
    boolean want = queue.hasSpecial() || watchTags;
    if (want != splitting) {
      splitting = want;
      for (byte t : ServerConnection.SPLIT_TYPES) {
        inspect.accept(t, want);
      }
    }
  }

  static boolean isFake(byte action) {
    return action == RequestQueue.FAKE_PARSE_COMPLETE || action == RequestQueue.FAKE_CLOSE_COMPLETE;
  }

  /** Emits the replies Breakwater owes for requests it answered itself, now at the head. */
  void emitFakes(Outbox to) {
    while (!queue.isEmpty() && isFake(queue.headAction())) {
      ByteBuf b = alloc.buffer(5);
      b.writeByte(
          queue.headAction() == RequestQueue.FAKE_PARSE_COMPLETE
              ? MessageType.PARSE_COMPLETE
              : MessageType.CLOSE_COMPLETE);
      b.writeInt(4);
      to.add(b);
      queue.pop();
    }
  }

  /**
   * Matches a reply to the request at the head of the queue, and pops the request when this is
   * its last reply. Returns what to do with the reply.
   */
  byte advance(byte type) {
    if (queue.isEmpty()) {
      return RequestQueue.FORWARD;
    }
    byte head = queue.headType();
    byte action = RequestQueue.FORWARD;
    switch (type) {
      case MessageType.ERROR_RESPONSE:
        if (head != MessageType.QUERY && head != MessageType.FUNCTION_CALL && head != MessageType.SYNC) {
          if (head == MessageType.PARSE && queue.headAction() == RequestQueue.DUPLICATE_NAME) {
            duplicateName = (String) queue.headRef();
          }
          // Extended protocol: the request failed and the server skips all until Sync.
          do {
            forgetFailedParse();
            queue.pop();
          } while (!queue.isEmpty() && queue.headType() != MessageType.SYNC);
        }
        return RequestQueue.FORWARD;
      case MessageType.READY_FOR_QUERY:
        if (head == MessageType.SYNC || head == MessageType.QUERY || head == MessageType.FUNCTION_CALL) {
          queue.pop();
        }
        return RequestQueue.FORWARD;
      case MessageType.PARSE_COMPLETE:
        return popIf(head, MessageType.PARSE);
      case MessageType.BIND_COMPLETE:
        return popIf(head, MessageType.BIND);
      case MessageType.CLOSE_COMPLETE:
        return popIf(head, MessageType.CLOSE);
      case MessageType.ROW_DESCRIPTION:
      case MessageType.NO_DATA:
        return popIf(head, MessageType.DESCRIBE);
      case MessageType.COMMAND_COMPLETE:
      case MessageType.EMPTY_QUERY_RESPONSE:
      case MessageType.PORTAL_SUSPENDED:
        return popIf(head, MessageType.EXECUTE);
      default:
        return action;
    }
  }

  private byte popIf(byte head, byte request) {
    if (head != request) {
      return RequestQueue.FORWARD;
    }
    byte action = queue.headAction();
    queue.pop();
    return action == RequestQueue.HIDE ? RequestQueue.HIDE : RequestQueue.FORWARD;
  }

  /** A Parse that failed, or was skipped after an error, left nothing on the server. */
  private void forgetFailedParse() {
    if (queue.headType() == MessageType.PARSE
        && queue.headRef() instanceof PreparedStatements.Statement stmt) {
      statements.remove(stmt);
    }
  }
}
