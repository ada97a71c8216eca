package dev.breakwater.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of one {@code pgbench -S} transaction, as they cross a pooler: the client's request
 * and the server's reply, in each of pgbench's query modes (simple, extended, prepared).
 */
public final class PgStreams {

  private PgStreams() {}

  public static final String SELECT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1;";

  /** One transaction's request from the client, in {@code mode}. */
  public static byte[] request(String mode, int aid) {
    ByteBuf b = Unpooled.buffer();
    switch (mode) {
      case "simple" -> {
        message(b, 'Q', m -> cstring(m, SELECT.replace("$1", Integer.toString(aid))));
      }
      case "extended" -> {
        message(b, 'P', m -> { cstring(m, ""); cstring(m, SELECT); m.writeShort(0); });
        bind(b, "", aid);
        describePortal(b);
        execute(b);
        message(b, 'S', m -> {});
      }
      case "prepared" -> {
        bind(b, "P0_1", aid);
        describePortal(b);
        execute(b);
        message(b, 'S', m -> {});
      }
      default -> throw new IllegalArgumentException(mode);
    }
    return bytes(b);
  }

  /** One transaction's reply from the server, in {@code mode}. */
  public static byte[] reply(String mode, int abalance) {
    ByteBuf b = Unpooled.buffer();
    if (mode.equals("extended")) {
      message(b, '1', m -> {});
    }
    if (!mode.equals("simple")) {
      message(b, '2', m -> {});
    }
    message(b, 'T', m -> {
      m.writeShort(1);
      cstring(m, "abalance");
      m.writeInt(16397); // table oid
      m.writeShort(3); // column number
      m.writeInt(23); // int4
      m.writeShort(4);
      m.writeInt(-1);
      m.writeShort(0);
    });
    message(b, 'D', m -> {
      byte[] v = Integer.toString(abalance).getBytes(StandardCharsets.US_ASCII);
      m.writeShort(1);
      m.writeInt(v.length);
      m.writeBytes(v);
    });
    message(b, 'C', m -> cstring(m, "SELECT 1"));
    message(b, 'Z', m -> m.writeByte('I'));
    return bytes(b);
  }

  /** {@code n} transactions back to back, as a busy connection's read returns them. */
  public static byte[] repeat(byte[] one, int n) {
    byte[] out = new byte[one.length * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(one, 0, out, i * one.length, one.length);
    }
    return out;
  }

  private static void bind(ByteBuf b, String statement, int aid) {
    message(b, 'B', m -> {
      cstring(m, "");
      cstring(m, statement);
      m.writeShort(0);
      byte[] v = Integer.toString(aid).getBytes(StandardCharsets.US_ASCII);
      m.writeShort(1);
      m.writeInt(v.length);
      m.writeBytes(v);
      m.writeShort(0);
    });
  }

  private static void describePortal(ByteBuf b) {
    message(b, 'D', m -> { m.writeByte('P'); cstring(m, ""); });
  }

  private static void execute(ByteBuf b) {
    message(b, 'E', m -> { cstring(m, ""); m.writeInt(0); });
  }

  private interface Body {
    void write(ByteBuf m);
  }

  private static void message(ByteBuf b, char type, Body body) {
    b.writeByte(type);
    int at = b.writerIndex();
    b.writeInt(0);
    body.write(b);
    b.setInt(at, b.writerIndex() - at);
  }

  private static void cstring(ByteBuf b, String s) {
    b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    b.writeByte(0);
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    return out;
  }
}
