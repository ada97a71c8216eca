package dev.breakwater.server.admin;

import dev.breakwater.protocol.ErrorFields;

/**
 * What a console command answers before its CommandComplete: rows, a notice, or nothing.
 *
 * @param result rows to send, or null
 * @param notice a NoticeResponse to send first, or null
 * @param tag the CommandComplete tag
 */
record Reply(Result result, ErrorFields notice, String tag) {

  static Reply rows(Result r) {
    return new Reply(r, null, "SHOW");
  }

  static Reply done(String tag) {
    return new Reply(null, null, tag);
  }

  static Reply notice(ErrorFields notice, String tag) {
    return new Reply(null, notice, tag);
  }
}
