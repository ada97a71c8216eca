package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of an ErrorResponse or NoticeResponse, keyed by their one-byte codes ('S' severity,
 * 'V' non-localized severity, 'C' SQLSTATE, 'M' message, 'D' detail, 'H' hint, ...).
 */
public record ErrorFields(Map<Character, String> fields) {

  public static final char SEVERITY = 'S';
  public static final char SEVERITY_NONLOCALIZED = 'V';
  public static final char CODE = 'C';
  public static final char MESSAGE = 'M';
  public static final char DETAIL = 'D';
  public static final char HINT = 'H';

  public ErrorFields {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** An error with severity, SQLSTATE and message, as Breakwater sends its own. */
  public static ErrorFields of(String severity, String sqlState, String message) {
    Map<Character, String> f = new LinkedHashMap<>();
    f.put(SEVERITY, severity);
    f.put(SEVERITY_NONLOCALIZED, severity);
    f.put(CODE, sqlState);
    f.put(MESSAGE, message);
    return new ErrorFields(f);
  }

  /** Decodes a whole ErrorResponse or NoticeResponse message (reader index at the type byte). */
  public static ErrorFields decode(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    Map<Character, String> f = new LinkedHashMap<>();
    while (body.isReadable()) {
      byte code = body.readByte();
      if (code == 0) {
        break;
      }
      f.put((char) code, Codec.readCString(body));
    }
    return new ErrorFields(f);
  }

  /**
   * The fields whole in the first bytes of an ErrorResponse or NoticeResponse (header included)
   * too long to read whole: a field cut short, and those after it, are left out. PostgreSQL sends
   * the severity and the SQLSTATE first.
   */
  public static ErrorFields decodeHead(ByteBuf head) {
    Map<Character, String> f = new LinkedHashMap<>();
    int i = head.readerIndex() + 5;
    int end = head.writerIndex();
    while (i < end) {
      byte code = head.getByte(i);
      if (code == 0) {
        break;
      }
      int nul = head.indexOf(i + 1, end, (byte) 0);
      if (nul < 0) {
        break;
      }
      f.put((char) code, head.toString(i + 1, nul - i - 1, java.nio.charset.StandardCharsets.UTF_8));
      i = nul + 1;
    }
    return new ErrorFields(f);
  }

  /** Writes these fields as a message of the given type ('E' or 'N'). */
  public void encode(ByteBuf out, byte type) {
    int at = Codec.beginMessage(out, type);
    for (Map.Entry<Character, String> e : fields.entrySet()) {
      out.writeByte(e.getKey());
      Codec.writeCString(out, e.getValue());
    }
    out.writeByte(0);
    Codec.endMessage(out, at);
  }

  public String severity() {
    return fields.getOrDefault(SEVERITY_NONLOCALIZED, fields.getOrDefault(SEVERITY, "ERROR"));
  }

  public String sqlState() {
    return fields.getOrDefault(CODE, "");
  }

  public String message() {
    return fields.getOrDefault(MESSAGE, "");
  }

  public boolean isFatal() {
    String s = severity();
    return s.equals("FATAL") || s.equals("PANIC");
  }

  @Override
  public String toString() {
    return severity() + " " + sqlState() + " " + message();
  }
}
