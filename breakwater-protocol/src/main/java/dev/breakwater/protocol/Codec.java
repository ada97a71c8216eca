package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;

/** Low-level reading and writing of protocol primitives: C strings and length-prefixed frames. */
public final class Codec {

  /** Reads a NUL-terminated UTF-8 string, advancing past the NUL. */
  public static String readCString(ByteBuf buf) {
    int end = buf.forEachByte(ByteProcessor.FIND_NUL);
    if (end < 0) {
      throw new ProtocolException("string not terminated");
    }
    String s = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.UTF_8);
    buf.readerIndex(end + 1);
    return s;
  }

  /** Writes a UTF-8 string and its NUL terminator. */
  public static void writeCString(ByteBuf buf, String s) {
    buf.writeCharSequence(s, StandardCharsets.UTF_8);
    buf.writeByte(0);
  }

  /** Starts a typed message: writes the type and a length placeholder; returns the length's index. */
  public static int beginMessage(ByteBuf buf, byte type) {
    buf.writeByte(type);
    int at = buf.writerIndex();
    buf.writeInt(0);
    return at;
  }

  /** Starts an untyped message (startup, SSL, cancel): writes a length placeholder. */
  public static int beginUntyped(ByteBuf buf) {
    int at = buf.writerIndex();
    buf.writeInt(0);
    return at;
  }

  /** Fills in the length of a message begun at {@code lengthIndex}. */
  public static void endMessage(ByteBuf buf, int lengthIndex) {
    buf.setInt(lengthIndex, buf.writerIndex() - lengthIndex);
  }

  /** Positions a reader after the header of a typed message (type byte and length). */
  public static ByteBuf body(ByteBuf message) {
    return message.slice(message.readerIndex() + 5, message.readableBytes() - 5);
  }

  private Codec() {}
}
