package io.insync.persistence.group;

import io.insync.persistence.group.GroupEntity.CursorsSaved;
import io.insync.persistence.group.GroupEntity.Logged;
import io.insync.persistence.user.GroupTag.Action;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A group's durable state: membership, the log entries not yet confirmed by every recipient, each
 * recipient's confirmed position and the post dedup window. Plain logic, no actors.
 *
 * <p>A recipient is a member, or a removed member whose copy of the log up to its removal entry
 * (its own removal included) is still on its way. The empty state handed to Pekko is a template
 * that is never changed (Pekko keeps it across restarts): the first event applies to a copy.
 */
public final class GroupState {

  /** @param until the seq of the entry that removed it, 0 while a member; @param upTo confirmed up to */
  public record Recipient(long joinedAt, long until, long upTo) {
    long limit(long lastSeq) {
      return until == 0 ? lastSeq : until;
    }
  }

  public record PostRecord(long seq, long serverTs) {}

  /** How far a member's devices got ({@code delivered}) and read the log: group seqs, never going back. */
  public record ReceiptMark(long delivered, long read) {
    public static final ReceiptMark NONE = new ReceiptMark(0, 0);

    public ReceiptMark merge(ReceiptMark o) {
      long r = Math.max(read, o.read);
      return new ReceiptMark(Math.max(Math.max(delivered, o.delivered), r), r);
    }
  }

  private final String group;
  private final boolean template;
  private int dedupWindow;
  private boolean exists;
  private String name = "";
  private String owner = "";
  private final LinkedHashSet<String> admins = new LinkedHashSet<>();
  private final LinkedHashMap<String, Long> members = new LinkedHashMap<>();
  private final LinkedHashMap<String, Recipient> recipients = new LinkedHashMap<>();
  private final TreeMap<Long, Logged> log = new TreeMap<>();
  private final LinkedHashMap<String, PostRecord> posts = new LinkedHashMap<>();
  private final LinkedHashMap<String, ReceiptMark> receipts = new LinkedHashMap<>();
  private long lastSeq;

  private GroupState(String group, int dedupWindow, boolean template) {
    this.group = group;
    this.dedupWindow = dedupWindow;
    this.template = template;
  }

  /** The unchangeable empty state. */
  public static GroupState empty(String group, int dedupWindow) {
    return new GroupState(group, dedupWindow, true);
  }

  /** A changeable state to restore a snapshot into. */
  public static GroupState restoring(String group, int dedupWindow) {
    return new GroupState(group, dedupWindow, false);
  }

  static String postKey(String by, String device, String clientMsgId) {
    return by + '\u0000' + device + '\u0000' + clientMsgId;
  }

  // ---------------------------------------------------------------- queries

  public String group() {
    return group;
  }

  public boolean exists() {
    return exists;
  }

  public String name() {
    return name;
  }

  public String owner() {
    return owner;
  }

  public Set<String> admins() {
    return Collections.unmodifiableSet(admins);
  }

  /** Members in the order they joined. */
  public List<String> members() {
    return List.copyOf(members.keySet());
  }

  public boolean isMember(String user) {
    return members.containsKey(user);
  }

  /** The owner or an admin. */
  public boolean canManage(String user) {
    return owner.equals(user) || admins.contains(user);
  }

  public long lastSeq() {
    return lastSeq;
  }

  public Map<String, Recipient> recipients() {
    return Collections.unmodifiableMap(recipients);
  }

  /** Entries not yet confirmed by every recipient, by seq. */
  public NavigableMap<Long, Logged> log() {
    return Collections.unmodifiableNavigableMap(log);
  }

  /** Members by the seq of the entry that (last) added them. */
  public Map<String, Long> memberSince() {
    return Collections.unmodifiableMap(members);
  }

  /** Saved receipt marks of members (a member's mark is dropped when it leaves). */
  public Map<String, ReceiptMark> receipts() {
    return Collections.unmodifiableMap(receipts);
  }

  /** The sender of a message still in the post dedup window, or null. */
  public String senderOf(long seq) {
    for (Map.Entry<String, PostRecord> e : posts.entrySet()) {
      if (e.getValue().seq() == seq) return e.getKey().substring(0, e.getKey().indexOf('\u0000'));
    }
    return null;
  }

  /** The messages in the post dedup window with seq in (after, upTo]: seq to sender. */
  public TreeMap<Long, String> sendersBetween(long after, long upTo) {
    TreeMap<Long, String> out = new TreeMap<>();
    for (Map.Entry<String, PostRecord> e : posts.entrySet()) {
      long seq = e.getValue().seq();
      if (seq > after && seq <= upTo) out.put(seq, e.getKey().substring(0, e.getKey().indexOf('\u0000')));
    }
    return out;
  }

  public PostRecord postedBefore(String by, String device, String clientMsgId) {
    return posts.get(postKey(by, device, clientMsgId));
  }

  /** The entries {@code member} still needs after {@code upTo}, oldest first, at most {@code max}. */
  public List<Logged> entriesFor(String member, long upTo, int max) {
    Recipient r = recipients.get(member);
    if (r == null) return List.of();
    long from = Math.max(upTo, r.joinedAt() - 1);
    List<Logged> out = new ArrayList<>();
    for (Logged e : log.subMap(from, false, r.limit(lastSeq), true).values()) {
      out.add(e);
      if (out.size() >= max) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- events

  /** Applies an event; on the template, to a copy (returned). */
  public GroupState apply(Object event) {
    GroupState s = template ? new GroupState(group, dedupWindow, false) : this;
    if (event instanceof Logged e) s.applyLogged(e);
    else if (event instanceof CursorsSaved c) s.applyCursors(c.cursors());
    else if (event instanceof GroupEntity.ReceiptsSaved r) {
      r.marks().forEach((m, mark) -> {
        if (s.members.containsKey(m)) s.receipts.merge(m, mark, ReceiptMark::merge);
      });
    }
    else throw new IllegalArgumentException("unknown group event " + event);
    return s;
  }

  private void applyLogged(Logged e) {
    if (e.seq() != lastSeq + 1) {
      throw new IllegalStateException("group " + group + " would log seq " + e.seq() + " after " + lastSeq);
    }
    lastSeq = e.seq();
    log.put(e.seq(), e);
    switch (e.action()) {
      case CREATED -> {
        exists = true;
        owner = e.by();
        name = e.name();
        join(e.by(), e.seq());
        e.members().forEach(m -> join(m, e.seq()));
      }
      case JOINED -> e.members().forEach(m -> join(m, e.seq()));
      case REMOVED, LEFT -> e.members().forEach(m -> leave(m, e.seq()));
      case OWNER_CHANGED -> {
        String next = e.members().get(0);
        admins.add(owner);
        admins.remove(next);
        owner = next;
      }
      case ADMIN_ADDED -> admins.addAll(e.members());
      case ADMIN_REMOVED -> e.members().forEach(admins::remove);
      case MESSAGE -> {
        posts.put(postKey(e.by(), e.device(), e.clientMsgId()), new PostRecord(e.seq(), e.serverTs()));
        Iterator<String> it = posts.keySet().iterator();
        while (posts.size() > dedupWindow && it.hasNext()) {
          it.next();
          it.remove();
        }
      }
    }
    trimLog();
  }

  private void join(String m, long seq) {
    if (members.containsKey(m)) return;
    members.put(m, seq);
    Recipient before = recipients.get(m);
    // a member removed and added again before its copy caught up: entries between its removal and
    // now are not its to receive, so its copy resumes at this entry (see docs/design.md, Groups)
    recipients.put(m, new Recipient(seq, 0, before == null ? seq - 1 : Math.max(before.upTo(), seq - 1)));
  }

  private void leave(String m, long seq) {
    if (members.remove(m) == null) return;
    admins.remove(m);
    receipts.remove(m);
    Recipient r = recipients.get(m);
    if (r != null) recipients.put(m, new Recipient(r.joinedAt(), seq, r.upTo()));
  }

  private void applyCursors(Map<String, Long> cursors) {
    cursors.forEach((m, upTo) -> {
      Recipient r = recipients.get(m);
      if (r == null) return;
      Recipient moved = new Recipient(r.joinedAt(), r.until(), Math.max(r.upTo(), upTo));
      if (moved.until() != 0 && moved.upTo() >= moved.until()) recipients.remove(m);
      else recipients.put(m, moved);
    });
    trimLog();
  }

  private void trimLog() {
    long min = lastSeq;
    for (Recipient r : recipients.values()) min = Math.min(min, Math.max(r.upTo(), r.joinedAt() - 1));
    while (!log.isEmpty() && log.firstKey() <= min) log.pollFirstEntry();
  }

  // ---------------------------------------------------------------- snapshot restore

  void restore(boolean exists, String name, String owner, List<String> admins, long lastSeq,
      Map<String, Recipient> recipients, List<Logged> log, Map<String, PostRecord> posts,
      Map<String, ReceiptMark> receipts) {
    if (template) throw new IllegalStateException("the empty template is never changed");
    this.exists = exists;
    this.name = name;
    this.owner = owner;
    this.admins.addAll(admins);
    this.lastSeq = lastSeq;
    recipients.forEach((m, r) -> {
      this.recipients.put(m, r);
      if (r.until() == 0) members.put(m, r.joinedAt());
    });
    log.forEach(e -> this.log.put(e.seq(), e));
    this.posts.putAll(posts);
    this.receipts.putAll(receipts);
  }

  public Map<String, PostRecord> posts() {
    return Collections.unmodifiableMap(posts);
  }

  void setDedupWindow(int window) {
    this.dedupWindow = window;
  }
}
