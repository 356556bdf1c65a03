package io.insync.ops.cli;

import io.insync.ops.bench.JsonOut;
import io.insync.protocol.Item;

/** Minimal JSON output for the CLI (one object per line); no dependency needed for this. */
final class Json {
  private Json() {}

  static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2);
    JsonOut.str(b, s);
    return b.toString();
  }

  static String item(Item i) {
    return "{\"seq\":" + i.getSeq()
        + ",\"from\":" + str(i.getFrom())
        + ",\"to\":" + str(i.getTo())
        + ",\"from_device\":" + str(i.getFromDevice())
        + ",\"text\":" + str(i.getContent().getText())
        + ",\"type\":" + str(i.getContent().getType())
        + ",\"data_bytes\":" + i.getContent().getData().size()
        + ",\"client_msg_id\":" + str(i.getClientMsgId())
        + ",\"server_ts\":" + i.getServerTs() + "}";
  }
}
