package io.insync.persistence.user;

import java.util.List;

/**
 * What a receipt item in a sender's inbox says. 1:1 ({@link Kind#DELIVERED}, {@link Kind#READ}): the
 * item's {@code from} got (or read) the messages this user sent it up to {@code upTo}, a seq of this
 * user's own inbox. Group ({@link Kind#GROUP}): how far each of this user's recent messages in
 * {@code group} has come, aggregated by the group (one item for many members and messages).
 *
 * @param group the group of a {@link Kind#GROUP} receipt ("" otherwise)
 * @param counts per message, on {@link Kind#GROUP} (empty otherwise)
 */
public record Receipt(Kind kind, long upTo, String group, List<Count> counts) {
  public Receipt {
    group = group == null ? "" : group;
    counts = List.copyOf(counts);
  }

  public static Receipt of(Kind kind, long upTo) {
    return new Receipt(kind, upTo, "", List.of());
  }

  public static Receipt group(String group, List<Count> counts) {
    return new Receipt(Kind.GROUP, 0, group, counts);
  }

  /** Stored by ordinal: never reorder, only append. */
  public enum Kind {
    DELIVERED, READ, GROUP;

    public static Kind of(int ordinal) {
      Kind[] all = values();
      if (ordinal < 0 || ordinal >= all.length) throw new IllegalArgumentException("unknown receipt kind " + ordinal);
      return all[ordinal];
    }
  }

  /** One message of a group: of {@code recipients} members (its sender not counted), how many got and read it. */
  public record Count(long groupSeq, int delivered, int read, int recipients) {}

  int estimatedBytes() {
    return 16 + MessageContent.utf8Length(group) + 20 * counts.size();
  }
}
