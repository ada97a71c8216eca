package dev.breakwater.server.pool;

import dev.breakwater.protocol.BackendMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;

/**
 * A pool's welcome parameters (what its first server reported at login, sent to each client that
 * logs in), with each one's ParameterStatus message encoded once: a login copies bytes instead of
 * encoding some fifteen names and values again. Immutable; one per pool.
 */
public final class WelcomeParameters extends AbstractMap<String, String> {

  private final Map<String, String> values;
  private final String[] names;
  /** The ParameterStatus message of {@code names[i]}, whole. */
  private final byte[][] messages;
  /** All of them in a row. */
  private final byte[] all;

  private WelcomeParameters(Map<String, String> parameters) {
    values = Map.copyOf(parameters);
    names = values.keySet().toArray(String[]::new);
    messages = new byte[names.length][];
    ByteBuf buf = Unpooled.buffer();
    try {
      for (int i = 0; i < names.length; i++) {
        int from = buf.writerIndex();
        BackendMessages.parameterStatus(buf, names[i], values.get(names[i]));
        messages[i] = new byte[buf.writerIndex() - from];
        buf.getBytes(from, messages[i]);
      }
      all = new byte[buf.readableBytes()];
      buf.getBytes(0, all);
    } finally {
      buf.release();
    }
  }

  public static WelcomeParameters of(Map<String, String> parameters) {
    return parameters instanceof WelcomeParameters w ? w : new WelcomeParameters(parameters);
  }

  /**
   * Writes a ParameterStatus for every welcome parameter, with {@code own}'s value in place of the
   * welcome one where it has one, then {@code own}'s entries that are not welcome parameters.
   */
  public void writeStatus(ByteBuf out, Map<String, String> own) {
    if (own == null) {
      out.writeBytes(all);
      return;
    }
    for (int i = 0; i < names.length; i++) {
      String mine = own.get(names[i]);
      if (mine == null) {
        out.writeBytes(messages[i]);
      } else {
        BackendMessages.parameterStatus(out, names[i], mine);
      }
    }
    for (Entry<String, String> e : own.entrySet()) {
      if (!values.containsKey(e.getKey())) {
        BackendMessages.parameterStatus(out, e.getKey(), e.getValue());
      }
    }
  }

  @Override
  public String get(Object key) {
    return key == null ? null : values.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return key != null && values.containsKey(key);
  }

  @Override
  public int size() {
    return values.size();
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return values.entrySet();
  }
}
