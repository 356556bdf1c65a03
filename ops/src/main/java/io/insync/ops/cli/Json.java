package io.insync.ops.cli;

import io.insync.ops.bench.JsonOut;
import io.insync.protocol.GroupEvent;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.SendAck;
import java.util.List;

/** Minimal JSON output for the CLI (one object per line); no dependency needed for this. */
final class Json {
  private Json() {}

  static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2);
    JsonOut.str(b, s);
    return b.toString();
  }

  static String strings(List<String> list) {
    StringBuilder b = new StringBuilder("[");
    for (String s : list) {
      if (b.length() > 1) b.append(',');
      JsonOut.str(b, s);
    }
    return b.append(']').toString();
  }

  /**
   * An item. {@code kind} is always there, as the enum's name (a kind this build does not know shows
   * as its number); {@code group} and {@code group_seq} when the item came from a group;
   * {@code group_event} on membership changes; {@code receipt_up_to} on 1:1 receipts and
   * {@code receipt_counts} on group receipts.
   */
  static String item(Item i) {
    StringBuilder b = new StringBuilder("{\"seq\":").append(i.getSeq())
        .append(",\"from\":").append(str(i.getFrom()))
        .append(",\"to\":").append(str(i.getTo()))
        .append(",\"from_device\":").append(str(i.getFromDevice()))
        .append(",\"text\":").append(str(i.getContent().getText()))
        .append(",\"type\":").append(str(i.getContent().getType()))
        .append(",\"data_bytes\":").append(i.getContent().getData().size())
        .append(",\"client_msg_id\":").append(str(i.getClientMsgId()))
        .append(",\"kind\":").append(str(kind(i)));
    if (!i.getGroup().isEmpty()) {
      b.append(",\"group\":").append(str(i.getGroup())).append(",\"group_seq\":").append(i.getGroupSeq());
    }
    if (i.hasGroupEvent()) {
      GroupEvent e = i.getGroupEvent();
      b.append(",\"group_event\":{\"type\":").append(str(e.getType() == GroupEventType.UNRECOGNIZED
              ? Integer.toString(e.getTypeValue()) : e.getType().name()))
          .append(",\"members\":").append(strings(e.getMembersList()));
      if (!e.getName().isEmpty()) b.append(",\"name\":").append(str(e.getName()));
      b.append('}');
    }
    if (i.getKind() == ItemKind.DELIVERY_RECEIPT || i.getKind() == ItemKind.READ_RECEIPT) {
      b.append(",\"receipt_up_to\":").append(i.getReceiptUpTo());
    }
    if (i.getReceiptCountsCount() > 0) {
      b.append(",\"receipt_counts\":[");
      for (int n = 0; n < i.getReceiptCountsCount(); n++) {
        var c = i.getReceiptCounts(n);
        if (n > 0) b.append(',');
        b.append("{\"group_seq\":").append(c.getGroupSeq()).append(",\"delivered\":").append(c.getDelivered())
            .append(",\"read\":").append(c.getRead()).append(",\"recipients\":").append(c.getRecipients()).append('}');
      }
      b.append(']');
    }
    return b.append(",\"server_ts\":").append(i.getServerTs()).append('}').toString();
  }

  /** MESSAGE, GROUP_EVENT, ...; the number for a kind newer than this build. */
  static String kind(Item i) {
    return i.getKind() == ItemKind.UNRECOGNIZED ? Integer.toString(i.getKindValue()) : i.getKind().name();
  }

  /** A group as GroupInfo carries it; {@code last_seq} is the newest seq of the group's log. */
  static String group(GroupInfo g) {
    return "{\"group\":" + str(g.getGroup())
        + ",\"name\":" + str(g.getName())
        + ",\"owner\":" + str(g.getOwner())
        + ",\"admins\":" + strings(g.getAdminsList())
        + ",\"members\":" + strings(g.getMembersList())
        + ",\"last_seq\":" + g.getLastSeq() + "}";
  }

  /** A SendAck as {@code send} prints it; a group post's ack also names the group. */
  static String ack(SendAck a) {
    return "{\"client_msg_id\":" + str(a.getClientMsgId()) + ",\"seq\":" + a.getSeq()
        + (a.getGroup().isEmpty() ? "" : ",\"group\":" + str(a.getGroup())) + "}";
  }
}
