package dev.breakwater.server.admin;

import java.util.ArrayList;
import java.util.List;

/**
 * SHOW SOCKETS: the rows of SHOW CLIENTS then SHOW SERVERS, under PgBouncer's columns for it, whose
 * last seven are its I/O buffer positions: Breakwater's connections have no such fixed buffers
 * (Netty's grow and shrink), so they are 0. SHOW ACTIVE_SOCKETS lists those in state active.
 */
final class ShowSockets implements View {

  private static final String[] DEBUG = {
    "recv_pos", "pkt_pos", "pkt_remain", "send_pos", "send_remain", "pkt_avail", "send_avail"
  };

  private final boolean activeOnly;

  ShowSockets(boolean activeOnly) {
    this.activeOnly = activeOnly;
  }

  @Override
  public Result show(Observed o) {
    Result clients = new ShowClients().show(o);
    Result servers = new ShowServers().show(o);
    // PgBouncer's columns: those of SHOW CLIENTS up to id (not Breakwater's pinned), then DEBUG.
    List<Result.Column> base = clients.columns();
    int kept = base.size() - 1;
    List<Object> spec = new ArrayList<>();
    for (int i = 0; i < kept; i++) {
      spec.add(base.get(i).name());
      spec.add(base.get(i).type());
    }
    for (String d : DEBUG) {
      spec.add(d);
      spec.add(ColumnType.INT4);
    }
    Result r = Result.of(spec.toArray());
    int state = clients.columnNames().indexOf("state");
    for (Result part : List.of(clients, servers)) {
      for (List<Object> row : part.rows()) {
        if (activeOnly && !"active".equals(row.get(state))) {
          continue;
        }
        List<Object> values = new ArrayList<>(row.subList(0, kept));
        for (int i = 0; i < DEBUG.length; i++) {
          values.add(0);
        }
        r.row(values.toArray());
      }
    }
    return r;
  }
}
