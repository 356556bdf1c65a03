package io.insync.persistence.user;

import io.insync.persistence.user.UserEntity.Bookkeeping;
import io.insync.persistence.user.UserEntity.DeliveryRef;
import io.insync.persistence.user.UserEntity.MessageReceived;
import io.insync.persistence.user.UserEntity.MessageSent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a user entity knows, rebuilt from its events (and snapshots). Mutable, owned by the
 * entity's actor; the snapshot adapter copies it into an immutable protobuf before it leaves
 * the actor. Every method here is plain logic, tested without actors.
 */
public final class UserState {

  /** A remembered send, for dedup of retries. */
  public record OutboundRecord(long seq, long serverTs) {}

  /** Bounds the state keeps; not persisted (they come from settings). */
  public record Limits(int tailSize, int outboundWindow, int indexEvery) {
    public static final Limits DEFAULT = new Limits(500, 10_000, 64);

    public static Limits of(UserSettings s) {
      return new Limits(s.tailSize(), s.outboundDedupWindow(), s.journalIndexEvery());
    }
  }

  private final String userId;
  private Limits limits;
  private long lastSeq;
  private final ArrayDeque<InboxItem> tail = new ArrayDeque<>();
  private final LinkedHashMap<String, OutboundRecord> outbound = new LinkedHashMap<>();
  private final Map<String, Long> inboundHighWater = new HashMap<>();
  private final Map<String, TreeMap<Long, InboxItem>> pending = new HashMap<>();
  private final Map<String, Long> deviceKeys = new HashMap<>();
  private final TreeMap<Long, Long> journalIndex = new TreeMap<>();

  public UserState(String userId, Limits limits) {
    this.userId = userId;
    this.limits = limits;
  }

  public String userId() {
    return userId;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public Limits limits() {
    return limits;
  }

  public void setLimits(Limits limits) {
    this.limits = limits;
    trim();
  }

  static String outboundKey(String device, String clientMsgId) {
    return device + '\u0000' + clientMsgId;
  }

  // ---------------------------------------------------------------- queries

  public Optional<OutboundRecord> sentBefore(String device, String clientMsgId) {
    return Optional.ofNullable(outbound.get(outboundKey(device, clientMsgId)));
  }

  /** The highest seq of {@code from}'s inbox already received here (0 if none). */
  public long receivedUpTo(String from) {
    return inboundHighWater.getOrDefault(from, 0L);
  }

  public boolean isPending(String to, long seq) {
    TreeMap<Long, InboxItem> p = pending.get(to);
    return p != null && p.containsKey(seq);
  }

  /** Recipients with undelivered messages. */
  public List<String> recipientsWithPending() {
    List<String> r = new ArrayList<>();
    pending.forEach((to, items) -> {
      if (!items.isEmpty()) r.add(to);
    });
    return r;
  }

  /** Undelivered messages to {@code to}, oldest first. */
  public List<InboxItem> pendingFor(String to) {
    TreeMap<Long, InboxItem> p = pending.get(to);
    return p == null ? List.of() : List.copyOf(p.values());
  }

  public int pendingCount() {
    int n = 0;
    for (TreeMap<Long, InboxItem> p : pending.values()) n += p.size();
    return n;
  }

  public long deviceKey(String device) {
    return deviceKeys.getOrDefault(device, 0L);
  }

  public Map<String, Long> deviceKeys() {
    return Collections.unmodifiableMap(deviceKeys);
  }

  /** The seq of the oldest item held in memory, or lastSeq + 1 when the tail is empty. */
  public long tailStart() {
    return tail.isEmpty() ? lastSeq + 1 : tail.peekFirst().seq();
  }

  /** True if every item after {@code key} is in memory. */
  public boolean tailCovers(long key) {
    return key + 1 >= tailStart() || key >= lastSeq;
  }

  /** Items after {@code key} from memory, at most {@code max}; requires {@link #tailCovers}. */
  public List<InboxItem> tailAfter(long key, int max) {
    if (key >= lastSeq || max <= 0) return new ArrayList<>(0);
    long first = tailStart();
    long from = Math.max(key + 1, first); // the first wanted seq
    int wanted = (int) Math.min(max, lastSeq - from + 1);
    List<InboxItem> out = new ArrayList<>(wanted);
    // the tail is gapless: walk from whichever end is nearer (usually the newest end)
    if (lastSeq - from < from - first) {
      Iterator<InboxItem> it = tail.descendingIterator();
      List<InboxItem> newestFirst = new ArrayList<>();
      while (it.hasNext()) {
        InboxItem i = it.next();
        if (i.seq() < from) break;
        newestFirst.add(i);
      }
      for (int i = newestFirst.size() - 1; i >= 0 && out.size() < wanted; i--) out.add(newestFirst.get(i));
    } else {
      Iterator<InboxItem> it = tail.iterator();
      for (long skip = from - first; skip > 0 && it.hasNext(); skip--) it.next();
      while (it.hasNext() && out.size() < wanted) out.add(it.next());
    }
    return out;
  }

  /** The newest items after {@code key}, at most {@code max}, from the tail (for inline notify). */
  public List<InboxItem> newestAfter(long key, int max) {
    if (key >= lastSeq || !tailCovers(key)) return List.of();
    long from = Math.max(key, lastSeq - max);
    return tailAfter(from, max);
  }

  /** A journal sequence number at or before the event that holds item {@code seq}. */
  public long journalSeqNrLowerBound(long seq) {
    Map.Entry<Long, Long> e = journalIndex.floorEntry(seq);
    if (e == null) return Math.max(1, seq); // each item is one event, so seqNr >= seq
    // every event after the indexed one adds at most one item; the gap can only grow
    return Math.max(e.getValue() + (seq - e.getKey()), 1);
  }

  public NavigableMap<Long, Long> journalIndex() {
    return Collections.unmodifiableNavigableMap(journalIndex);
  }

  public List<InboxItem> tail() {
    return List.copyOf(tail);
  }

  public Map<String, OutboundRecord> outbound() {
    return Collections.unmodifiableMap(outbound);
  }

  public Map<String, Long> inboundHighWater() {
    return Collections.unmodifiableMap(inboundHighWater);
  }

  // ---------------------------------------------------------------- events

  public UserState apply(MessageSent e, long sequenceNr) {
    InboxItem item = new InboxItem(e.seq(), userId, e.to(), e.device(), e.clientMsgId(),
        e.serverTs(), e.content(), 0);
    append(item, sequenceNr);
    outbound.put(outboundKey(e.device(), e.clientMsgId()), new OutboundRecord(e.seq(), e.serverTs()));
    if (!e.to().equals(userId)) {
      pending.computeIfAbsent(e.to(), k -> new TreeMap<>()).put(e.seq(), item);
    }
    applyBookkeeping(e.bookkeeping());
    trim();
    return this;
  }

  public UserState apply(MessageReceived e, long sequenceNr) {
    InboxItem item = new InboxItem(e.seq(), e.from(), userId, e.fromDevice(), e.clientMsgId(),
        e.serverTs(), e.content(), e.senderSeq());
    append(item, sequenceNr);
    inboundHighWater.merge(e.from(), e.senderSeq(), Math::max);
    applyBookkeeping(e.bookkeeping());
    trim();
    return this;
  }

  public UserState apply(UserEntity.BookkeepingFlushed e) {
    applyBookkeeping(e.bookkeeping());
    return this;
  }

  private void append(InboxItem item, long sequenceNr) {
    if (item.seq() != lastSeq + 1) {
      throw new IllegalStateException("inbox of " + userId + " would get seq " + item.seq()
          + " after " + lastSeq + ": sequence must be gapless");
    }
    lastSeq = item.seq();
    tail.addLast(item);
    if (sequenceNr > 0 && (item.seq() == 1 || item.seq() % limits.indexEvery() == 0)) {
      journalIndex.put(item.seq(), sequenceNr);
    }
  }

  private void applyBookkeeping(Bookkeeping b) {
    if (b == null) return;
    for (DeliveryRef d : b.delivered()) {
      TreeMap<Long, InboxItem> p = pending.get(d.to());
      if (p != null) {
        p.remove(d.seq());
        if (p.isEmpty()) pending.remove(d.to());
      }
    }
    b.deviceKeys().forEach((device, key) -> deviceKeys.merge(device, Math.min(key, lastSeq), Math::max));
  }

  private void trim() {
    while (tail.size() > limits.tailSize()) tail.removeFirst();
    Iterator<Map.Entry<String, OutboundRecord>> it = outbound.entrySet().iterator();
    while (outbound.size() > limits.outboundWindow() && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  // ---------------------------------------------------------------- snapshot restore

  /** Used only when restoring from a snapshot. */
  public void restore(long lastSeq, List<InboxItem> tailItems, Map<String, OutboundRecord> outboundRecords,
      Map<String, Long> highWater, List<InboxItem> pendingItems, Map<String, Long> keys,
      Map<Long, Long> index) {
    this.lastSeq = lastSeq;
    tail.clear();
    tail.addAll(tailItems);
    outbound.clear();
    outbound.putAll(outboundRecords);
    inboundHighWater.clear();
    inboundHighWater.putAll(highWater);
    pending.clear();
    for (InboxItem i : pendingItems) {
      pending.computeIfAbsent(i.to(), k -> new TreeMap<>()).put(i.seq(), i);
    }
    deviceKeys.clear();
    deviceKeys.putAll(keys);
    journalIndex.clear();
    journalIndex.putAll(index);
    trim();
  }

  /** All pending items, by recipient then seq. */
  public List<InboxItem> allPending() {
    List<InboxItem> all = new ArrayList<>();
    pending.values().forEach(p -> all.addAll(p.values()));
    return all;
  }

  @Override
  public String toString() {
    return "UserState[" + userId + ", lastSeq=" + lastSeq + ", tail=" + tail.size()
        + ", pending=" + pendingCount() + "]";
  }
}
