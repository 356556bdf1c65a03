package io.insync.persistence.group;

import io.insync.core.Ids;
import io.insync.persistence.group.GroupEntity.Manage;
import io.insync.persistence.group.GroupEntity.Refused;
import io.insync.persistence.user.GroupTag.Action;
import io.insync.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Who may change a group, and how: the owner and admins add and remove members; only the owner
 * names or removes admins and hands over ownership; the owner cannot be removed and cannot leave
 * before handing over; a group holds at most {@code insync.group.max-members}. Plain logic.
 */
final class GroupRules {
  private GroupRules() {}

  /** Why {@code m} is refused, or null if it may be applied. */
  static Refused check(GroupState s, Manage m, int maxMembers) {
    for (String u : m.members()) {
      if (!Ids.isValidUserId(u)) return bad("'" + u + "' is not a valid user id");
    }
    if (m.action() == Action.CREATED) {
      if (s.exists()) {
        // a retried create by its owner is answered like the first; anyone else may not take the id
        return s.owner().equals(m.by()) ? null : forbidden("group " + s.group() + " exists");
      }
      int size = new LinkedHashSet<String>() {{ add(m.by()); addAll(m.members()); }}.size();
      if (size > maxMembers) return tooMany(size, maxMembers);
      return null;
    }
    if (!s.exists()) return new Refused(ErrorCode.NOT_FOUND, "no group " + s.group());
    if (m.action() != Action.LEFT && m.members().isEmpty()) return bad(m.action() + " names no member");
    return switch (m.action()) {
      case JOINED -> {
        if (!s.canManage(m.by())) yield forbidden("only the owner and admins add members");
        int after = s.members().size();
        for (String u : new LinkedHashSet<>(m.members())) if (!s.isMember(u)) after++;
        yield after > maxMembers ? tooMany(after, maxMembers) : null;
      }
      case REMOVED -> {
        if (!s.canManage(m.by())) yield forbidden("only the owner and admins remove members");
        for (String u : m.members()) {
          if (u.equals(s.owner())) yield forbidden("the owner cannot be removed; hand over ownership first");
          if (s.admins().contains(u) && !s.owner().equals(m.by())) yield forbidden("only the owner removes an admin");
        }
        yield null;
      }
      case LEFT -> s.owner().equals(m.by()) && s.members().size() > 1
          ? forbidden("the owner cannot leave; hand over ownership first") : null;
      case OWNER_CHANGED -> {
        if (!s.owner().equals(m.by())) yield forbidden("only the owner hands over ownership");
        if (m.members().size() != 1) yield bad("ownership goes to exactly one member");
        yield s.isMember(m.members().get(0)) ? null : bad(m.members().get(0) + " is not a member");
      }
      case ADMIN_ADDED, ADMIN_REMOVED -> {
        if (!s.owner().equals(m.by())) yield forbidden("only the owner names or removes admins");
        for (String u : m.members()) if (!s.isMember(u)) yield bad(u + " is not a member");
        yield null;
      }
      default -> bad("not a membership action: " + m.action());
    };
  }

  /**
   * The members the entry names once repeats are dropped, or null if nothing would change (the
   * command is answered with the group's info and nothing is written).
   */
  static List<String> effective(GroupState s, Manage m) {
    List<String> out = new ArrayList<>();
    switch (m.action()) {
      case CREATED -> {
        if (s.exists()) return null;
        for (String u : new LinkedHashSet<>(m.members())) if (!u.equals(m.by())) out.add(u);
      }
      case JOINED -> {
        for (String u : new LinkedHashSet<>(m.members())) if (!s.isMember(u)) out.add(u);
      }
      case REMOVED -> {
        for (String u : new LinkedHashSet<>(m.members())) if (s.isMember(u)) out.add(u);
      }
      case LEFT -> {
        if (s.isMember(m.by())) out.add(m.by());
      }
      case OWNER_CHANGED -> {
        if (!s.owner().equals(m.members().get(0))) out.add(m.members().get(0));
      }
      case ADMIN_ADDED -> {
        for (String u : new LinkedHashSet<>(m.members())) if (!s.admins().contains(u)) out.add(u);
      }
      case ADMIN_REMOVED -> {
        for (String u : new LinkedHashSet<>(m.members())) if (s.admins().contains(u)) out.add(u);
      }
      default -> {
        return null;
      }
    }
    if (m.action() == Action.CREATED) return out;
    return out.isEmpty() ? null : out;
  }

  private static Refused forbidden(String why) {
    return new Refused(ErrorCode.FORBIDDEN, why);
  }

  private static Refused bad(String why) {
    return new Refused(ErrorCode.BAD_REQUEST, why);
  }

  private static Refused tooMany(int size, int max) {
    return new Refused(ErrorCode.LIMIT_EXCEEDED, "a group holds at most " + max + " members (insync.group.max-members); this would make " + size);
  }
}
