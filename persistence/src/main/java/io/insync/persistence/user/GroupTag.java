package io.insync.persistence.user;

import java.util.List;

/**
 * What an inbox item that came from a group's fan-out says about it: the group, what happened
 * (a message, or a membership change) and whom a change names. The item's {@code from} is the member
 * who acted and its {@code senderSeq} the entry's seq in the group's log.
 *
 * @param members whom a membership change names (empty for messages)
 * @param name the group's name (on {@link Action#CREATED}; "" otherwise)
 */
public record GroupTag(String group, Action action, List<String> members, String name) {
  public GroupTag {
    members = List.copyOf(members);
    name = name == null ? "" : name;
  }

  /** Stored by ordinal: never reorder, only append. */
  public enum Action {
    MESSAGE, CREATED, JOINED, REMOVED, LEFT, OWNER_CHANGED, ADMIN_ADDED, ADMIN_REMOVED;

    public static Action of(int ordinal) {
      Action[] all = values();
      if (ordinal < 0 || ordinal >= all.length) throw new IllegalArgumentException("unknown group action " + ordinal);
      return all[ordinal];
    }
  }

  /** The key under which a member's entity remembers the highest group seq it holds ('#' is never in an id). */
  public static String dedupKey(String group) {
    return "#" + group;
  }
}
