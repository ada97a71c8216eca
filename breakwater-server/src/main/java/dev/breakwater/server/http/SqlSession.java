package dev.breakwater.server.http;

import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The PostgreSQL side of one {@code POST /sql} request: a client of the pooler on an in-process
 * connection ({@link LocalClients}) that logs in the way Neon's driver does over a WebSocket
 * (StartupMessage and cleartext password sent at once), runs the request's statements with the
 * extended protocol (unnamed statement, text parameters and results) and builds the driver's JSON
 * from the replies. A batch runs in one transaction, BEGIN to COMMIT, rolled back at its first
 * error; everything is sent in one go and synced once.
 *
 * <p>Runs on the local connection's event loop; the answer goes to {@code answer} exactly once.
 */
final class SqlSession extends ChannelInboundHandlerAdapter {

  /** What the HTTP client is told. */
  record Answer(int status, String json, Map<String, String> headers) {}

  /** PostgreSQL's error fields under the names the driver reads, in Neon's order. */
  private static final char[] FIELD_CODES = {'S', 'C', 'D', 'H', 'P', 'p', 'q', 'W', 's', 't', 'c', 'd', 'n', 'F', 'L', 'R'};
  private static final String[] FIELD_NAMES = {
    "severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where",
    "schema", "table", "column", "dataType", "constraint", "file", "line", "routine"
  };

  private enum Phase { LOGIN, RUNNING, ROLLBACK, DONE }

  private final SqlRequest request;
  private final int maxResponseBytes;
  private final Consumer<Answer> answer;

  private Phase phase = Phase.LOGIN;
  /** Statements sent, in order: a user query's index, or -1 for BEGIN and COMMIT. */
  private final List<Integer> statements = new ArrayList<>();
  private int statement = -1;
  private ErrorFields error;
  private boolean answered;

  /** The JSON being built: the whole answer, results appended as their replies come. */
  private final Json json = new Json();
  private List<Field> fields;
  private boolean resultOpen;
  private boolean rowsOpen;

  private record Field(String name, int tableId, int columnId, int typeId, int typeSize, int typeModifier) {}

  SqlSession(SqlRequest request, int maxResponseBytes, Consumer<Answer> answer) {
    this.request = request;
    this.maxResponseBytes = maxResponseBytes;
    this.answer = answer;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ByteBuf out = ctx.alloc().buffer();
    Map<String, String> startup = new LinkedHashMap<>();
    startup.put("user", request.user());
    startup.put("database", request.database());
    startup.put("client_encoding", "UTF8");
    request.startupParameters().forEach(startup::putIfAbsent);
    FrontendMessages.startupMessage(out, startup);
    FrontendMessages.password(out, request.password());
    if (request.batch()) {
      json.beginObject().name("results").beginArray();
      simpleStatement(out, request.beginStatement());
    }
    for (int i = 0; i < request.queries().size(); i++) {
      SqlRequest.Query q = request.queries().get(i);
      FrontendMessages.parse(out, "", q.sql());
      FrontendMessages.bind(out, "", "", q.params());
      describePortal(out);
      FrontendMessages.execute(out, "", 0);
      statements.add(i);
    }
    if (request.batch()) {
      simpleStatement(out, "COMMIT");
    }
    FrontendMessages.sync(out);
    ctx.writeAndFlush(out);
    ctx.fireChannelActive();
  }

  private void simpleStatement(ByteBuf out, String sql) {
    FrontendMessages.parse(out, "", sql);
    FrontendMessages.bind(out, "", "", List.of());
    FrontendMessages.execute(out, "", 0);
    statements.add(-1);
  }

  private static void describePortal(ByteBuf out) {
    int at = Codec.beginMessage(out, MessageType.DESCRIBE);
    out.writeByte('P');
    Codec.writeCString(out, "");
    Codec.endMessage(out, at);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf m = (ByteBuf) msg;
    try {
      if (!answered) {
        onMessage(ctx, m);
      }
    } finally {
      m.release();
    }
  }

  private void onMessage(ChannelHandlerContext ctx, ByteBuf m) {
    byte type = m.getByte(m.readerIndex());
    switch (type) {
      case 'E' -> {
        ErrorFields e = ErrorFields.decode(m.duplicate());
        if (phase == Phase.LOGIN) {
          // Wrong password, unknown database or user: 400 as Neon answers; the pooler refusing
          // (max_client_conn, shutting down, a server that cannot be reached): 5xx.
          String code = e.sqlState() == null ? "" : e.sqlState();
          int status = code.startsWith("28") || code.equals("3D000") ? 400
              : code.equals("53300") || code.equals("57P03") ? 503 : 500;
          finish(ctx, new Answer(status, errorJson(e), Map.of()));
        } else if (error == null) {
          error = e;
        }
      }
      case 'Z' -> {
        byte status = m.getByte(m.readerIndex() + 5);
        if (phase == Phase.LOGIN) {
          phase = Phase.RUNNING;
        } else if (phase == Phase.RUNNING) {
          if (error != null && status != 'I') {
            // The batch failed inside its transaction: roll it back before the server goes back.
            phase = Phase.ROLLBACK;
            ByteBuf out = ctx.alloc().buffer();
            FrontendMessages.query(out, "ROLLBACK");
            ctx.writeAndFlush(out);
          } else {
            complete(ctx);
          }
        } else if (phase == Phase.ROLLBACK) {
          complete(ctx);
        }
      }
      case '1' -> {
        statement++;
        fields = null;
      }
      case 'T' -> fields = rowDescription(m);
      case 'n' -> fields = List.of();
      case 'D' -> dataRow(ctx, m);
      case 'C' -> {
        ByteBuf body = Codec.body(m.duplicate());
        commandDone(Codec.readCString(body));
      }
      case 'I' -> commandDone(null);
      case 'G' -> {
        // COPY FROM STDIN: there is no data to send over HTTP; the server's error is the answer.
        // The Sync sent with the statement was ignored in copy-in mode: another one ends it.
        ByteBuf out = ctx.alloc().buffer();
        int at = Codec.beginMessage(out, MessageType.COPY_FAIL);
        Codec.writeCString(out, "COPY FROM STDIN is not supported over HTTP");
        Codec.endMessage(out, at);
        FrontendMessages.sync(out);
        ctx.writeAndFlush(out);
      }
      default -> {
        // AuthenticationRequest/Ok, ParameterStatus, BackendKeyData, BindComplete, NoticeResponse,
        // NotificationResponse: nothing for the answer.
      }
    }
  }

  private boolean userStatement() {
    return statement >= 0 && statement < statements.size() && statements.get(statement) >= 0;
  }

  private SqlRequest.Query currentQuery() {
    return request.queries().get(statements.get(statement));
  }

  private static List<Field> rowDescription(ByteBuf m) {
    ByteBuf body = Codec.body(m.duplicate());
    int n = body.readUnsignedShort();
    List<Field> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = Codec.readCString(body);
      int table = body.readInt();
      int column = body.readShort();
      int typeId = body.readInt();
      int size = body.readShort();
      int modifier = body.readInt();
      body.readShort(); // format: text
      list.add(new Field(name, table, column, typeId, size, modifier));
    }
    return list;
  }

  /** Opens the current statement's result object, up to its rows. */
  private void openResult() {
    if (resultOpen || error != null) {
      return;
    }
    resultOpen = true;
    boolean arrayMode = currentQuery().arrayMode();
    json.beginObject();
    json.name("fields").beginArray();
    List<Field> fs = fields == null ? List.of() : fields;
    for (Field f : fs) {
      json.beginObject()
          .field("name", f.name())
          .field("dataTypeID", Integer.toUnsignedLong(f.typeId()))
          .field("tableID", Integer.toUnsignedLong(f.tableId()))
          .field("columnID", f.columnId())
          .field("dataTypeSize", f.typeSize())
          .field("dataTypeModifier", f.typeModifier())
          .field("format", "text")
          .endObject();
    }
    json.endArray();
    json.field("rowAsArray", arrayMode);
    json.name("rows").beginArray();
    rowsOpen = true;
  }

  private void dataRow(ChannelHandlerContext ctx, ByteBuf m) {
    if (!userStatement() || error != null) {
      return;
    }
    openResult();
    ByteBuf body = Codec.body(m.duplicate());
    int n = body.readUnsignedShort();
    boolean arrayMode = currentQuery().arrayMode();
    List<Field> fs = fields == null ? List.of() : fields;
    if (arrayMode) {
      json.beginArray();
    } else {
      json.beginObject();
    }
    for (int i = 0; i < n; i++) {
      int len = body.readInt();
      String v = len < 0 ? null : body.readCharSequence(len, StandardCharsets.UTF_8).toString();
      Field f = i < fs.size() ? fs.get(i) : null;
      if (!arrayMode) {
        json.name(f == null ? "?column?" : f.name());
      }
      value(v, f);
    }
    if (arrayMode) {
      json.endArray();
    } else {
      json.endObject();
    }
    if (json.length() > maxResponseBytes) {
      finish(ctx, new Answer(507, messageJson("response is too large (max is " + maxResponseBytes + " bytes)", ""), Map.of()));
    }
  }

  /** A value: PostgreSQL's text, or without raw text output the JSON value Neon makes of it. */
  private void value(String v, Field f) {
    if (v == null) {
      json.nullValue();
      return;
    }
    if (request.rawTextOutput() || f == null) {
      json.value(v);
      return;
    }
    switch (f.typeId()) {
      case 16 -> json.value(v.equals("t"));
      case 20, 21, 23, 26 -> {
        if (f.typeId() == 20) {
          json.value(v); // int8 may not fit a JSON number exactly
        } else {
          json.number(v);
        }
      }
      case 700, 701 -> {
        if (v.equals("NaN") || v.endsWith("Infinity")) {
          json.value(v);
        } else {
          json.number(v);
        }
      }
      case 114, 3802 -> json.raw(v);
      default -> json.value(v);
    }
  }

  private void commandDone(String tag) {
    if (!userStatement() || error != null) {
      return;
    }
    openResult();
    json.endArray();
    rowsOpen = false;
    String command = null;
    Long count = null;
    if (tag != null) {
      String[] words = tag.split(" ");
      command = words[0];
      if (words.length > 1) {
        try {
          count = Long.parseLong(words[words.length - 1]);
        } catch (NumberFormatException e) {
          count = null;
        }
      }
    }
    json.field("command", command);
    json.name("rowCount");
    if (count == null) {
      json.nullValue();
    } else {
      json.value(count);
    }
    json.endObject();
    resultOpen = false;
  }

  private void complete(ChannelHandlerContext ctx) {
    if (error != null) {
      finish(ctx, new Answer(400, errorJson(error), Map.of()));
      return;
    }
    if (request.batch()) {
      json.endArray().endObject();
    }
    finish(ctx, new Answer(200, json.toString(), request.echoedHeaders()));
  }

  /** Answers once and leaves: Terminate when the session is at rest, else just closes. */
  private void finish(ChannelHandlerContext ctx, Answer a) {
    if (answered) {
      return;
    }
    answered = true;
    boolean atRest = phase == Phase.RUNNING && a.status() == 200 || phase == Phase.ROLLBACK;
    phase = Phase.DONE;
    answer.accept(a);
    if (atRest && ctx.channel().isActive()) {
      ByteBuf out = ctx.alloc().buffer(5);
      FrontendMessages.terminate(out);
      ctx.writeAndFlush(out).addListener(f -> ctx.close());
    } else {
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!answered) {
      // The pooler ended the session: query_wait_timeout, a server lost, shutting down.
      ErrorFields e = error != null ? error : ErrorFields.of("FATAL", "08006", "connection to the pooler was closed");
      finish(ctx, new Answer(503, errorJson(e), Map.of()));
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
      finish(ctx, new Answer(507, messageJson("response is too large (max is " + maxResponseBytes + " bytes)", ""), Map.of()));
    } else {
      finish(ctx, new Answer(500, messageJson("internal error: " + cause, ""), Map.of()));
    }
  }

  /** PostgreSQL's error as the driver reads it: every key present, null when not given. */
  static String errorJson(ErrorFields e) {
    Json j = new Json().beginObject().field("message", e.message() == null ? "" : e.message());
    Map<Character, String> f = e.fields();
    for (int i = 0; i < FIELD_CODES.length; i++) {
      String v = f.get(FIELD_CODES[i]);
      if (v == null && FIELD_CODES[i] == 'C') {
        v = "";
      }
      j.field(FIELD_NAMES[i], v);
    }
    return j.endObject().toString();
  }

  /** An error of the pooler's own: a message and a code ("" when none applies). */
  static String messageJson(String message, String code) {
    Map<Character, String> f = new LinkedHashMap<>();
    f.put('M', message);
    f.put('C', code);
    return errorJson(new ErrorFields(f));
  }
}
