package dev.breakwater.server.backend;

/**
 * The requests a server has been sent (or that Breakwater answers itself) whose replies have not
 * all come back, in order: the explicit in-flight queue that matches each reply to its request.
 * It lets Breakwater hide the replies to requests it added (a Parse re-preparing a statement on
 * this server) and insert replies for requests it did not send (a Parse the server already had,
 * a Close answered locally), at exactly the place a server of the client's own would have.
 *
 * <p>A ring buffer of small entries, no allocation in the steady state. Used on one event loop.
 */
final class RequestQueue {

  /** The reply is the client's. */
  static final byte FORWARD = 0;
  /** The reply answers Breakwater's own request: the client never sees it. */
  static final byte HIDE = 1;
  /** No request was sent: Breakwater emits ParseComplete when this entry's turn comes. */
  static final byte FAKE_PARSE_COMPLETE = 2;
  /** No request was sent: Breakwater emits CloseComplete when this entry's turn comes. */
  static final byte FAKE_CLOSE_COMPLETE = 3;
  /**
   * A Parse of a name the client already uses, sent so that the server fails at this point (and
   * skips to Sync, and aborts a transaction) as PostgreSQL would: its error is replaced by
   * PostgreSQL's own. The entry's ref is the client's statement name.
   */
  static final byte DUPLICATE_NAME = 4;

  private byte[] types = new byte[32];
  private byte[] actions = new byte[32];
  private Object[] refs = new Object[32];
  private int head;
  private int size;
  /** Entries whose action is not FORWARD: while there are any, replies are read one by one. */
  private int special;

  void push(byte type, byte action, Object ref) {
    if (size == types.length) {
      grow();
    }
    int at = (head + size) & (types.length - 1);
    types[at] = type;
    actions[at] = action;
    refs[at] = ref;
    size++;
    if (action != FORWARD) {
      special++;
    }
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  boolean hasSpecial() {
    return special > 0;
  }

  byte headType() {
    return types[head];
  }

  byte headAction() {
    return actions[head];
  }

  Object headRef() {
    return refs[head];
  }

  void pop() {
    if (actions[head] != FORWARD) {
      special--;
    }
    refs[head] = null;
    head = (head + 1) & (types.length - 1);
    size--;
  }

  void clear() {
    while (size > 0) {
      pop();
    }
  }

  private void grow() {
    int n = types.length * 2;
    byte[] t = new byte[n];
    byte[] a = new byte[n];
    Object[] r = new Object[n];
    for (int i = 0; i < size; i++) {
      int from = (head + i) & (types.length - 1);
      t[i] = types[from];
      a[i] = actions[from];
      r[i] = refs[from];
    }
    types = t;
    actions = a;
    refs = r;
    head = 0;
  }
}
