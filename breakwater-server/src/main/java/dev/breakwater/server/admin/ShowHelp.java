package dev.breakwater.server.admin;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import java.util.LinkedHashMap;
import java.util.Map;

/** SHOW HELP: the commands, as a NOTICE whose detail lists them, then CommandComplete SHOW. */
final class ShowHelp {

  private ShowHelp() {}

  static final String USAGE =
      String.join(
          "\n",
          "",
          "\tSHOW HELP|CONFIG|DATABASES|POOLS|CLIENTS|SERVERS|USERS|VERSION",
          "\tSHOW LISTS|STATE|PEERS|PEER_POOLS|SOCKETS|ACTIVE_SOCKETS|MEM|DNS_HOSTS|DNS_ZONES",
          "\tSHOW STATS|STATS_TOTALS|STATS_AVERAGES|TOTALS",
          "\tSET key = arg",
          "\tRELOAD",
          "\tPAUSE [<db>]",
          "\tSUSPEND",
          "\tRESUME [<db>]",
          "\tDISABLE <db>",
          "\tENABLE <db>",
          "\tRECONNECT [<db>]",
          "\tKILL [<db>]",
          "\tKILL_CLIENT <client_id>",
          "\tSHUTDOWN",
          "\tSHUTDOWN WAIT_FOR_SERVERS|WAIT_FOR_CLIENTS",
          "\tWAIT_CLOSE [<db>]");

  static Reply reply() {
    Map<Character, String> f = new LinkedHashMap<>(ErrorFields.of("NOTICE", SqlState.SUCCESSFUL_COMPLETION, "Console usage").fields());
    f.put(ErrorFields.DETAIL, USAGE);
    return Reply.notice(new ErrorFields(f), "SHOW");
  }
}
