package io.insync.ops.cli;

import io.insync.protocol.Item;

/** Minimal JSON output for the CLI (one object per line); no dependency needed for this. */
final class Json {
  private Json() {}

  static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
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
