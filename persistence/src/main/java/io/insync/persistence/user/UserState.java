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
 *
 * <p>The entity's {@code emptyState()} is an {@linkplain #empty(String, Limits) empty template}
 * that is never changed: the first event applied to it starts a fresh state ({@link #mutable()}).
 * Pekko 1.7's Java API keeps the one emptyState object across supervisor restarts, so a mutable
 * empty state would make the replay after a restart start on a state already at seq N.
 *
 * <p>Everything held is bounded: the tail in items and bytes, the send dedup window in entries
 * (never evicting a send whose delivery is still pending), the senders' high-water marks in
 * entries; pending deliveries are bounded by the entity, which refuses sends past its bounds.
 */
public final class UserState {

  /** A remembered send, for dedup of retries. */
  public record OutboundRecord(long seq, long serverTs) {}

  /** A device of the user: its platform, its first accepted Auth, and whether it was removed. */
  public record DeviceRecord(String platform, long registeredAt, boolean removed) {}

  /** How far a peer's receipts in this inbox go: this user's messages to it up to these seqs were delivered / read. */
  public record ReceiptMark(long delivered, long read) {
    public static final ReceiptMark NONE = new ReceiptMark(0, 0);
  }

  /** Bounds the state keeps; not persisted (they come from settings). */
  public record Limits(int tailSize, int tailMaxBytes, int outboundWindow, int inboundSendersMax, int indexEvery) {
    public static final Limits DEFAULT = new Limits(500, 1 << 20, 10_000, 10_000, 64);

    /** Count bounds only (tests). */
    public Limits(int tailSize, int outboundWindow, int indexEvery) {
      this(tailSize, Integer.MAX_VALUE, outboundWindow, Integer.MAX_VALUE, indexEvery);
    }

    public static Limits of(UserSettings s) {
      return new Limits(s.tailSize(), s.tailMaxBytes(), s.outboundDedupWindow(), s.inboundSendersMax(),
          s.journalIndexEvery());
    }
  }

  private final String userId;
  private final boolean template;
  private Limits limits;
  private long lastSeq;
  private final ArrayDeque<InboxItem> tail = new ArrayDeque<>();
  private long tailBytes;
  private final LinkedHashMap<String, OutboundRecord> outbound = new LinkedHashMap<>();
  /** Insertion order = least recently delivered first (a sender moves to the end on each delivery). */
  private final LinkedHashMap<String, Long> inboundHighWater = new LinkedHashMap<>();
  private final Map<String, TreeMap<Long, InboxItem>> pending = new HashMap<>();
  private final java.util.Set<Long> pendingSeqs = new java.util.HashSet<>();
  private long pendingBytes;
  private final Map<String, Long> deviceKeys = new HashMap<>();
  private final TreeMap<Long, Long> journalIndex = new TreeMap<>();
  private final LinkedHashMap<String, DeviceRecord> devices = new LinkedHashMap<>();
  /** Read marks by conversation (peer id, or "#" + group), least recently changed first. */
  private final LinkedHashMap<String, Long> reads = new LinkedHashMap<>();
  private final LinkedHashMap<String, ReceiptMark> receiptsFrom = new LinkedHashMap<>();
  private boolean readReceiptsOff;

  public UserState(String userId, Limits limits) {
    this(userId, limits, false);
  }

  private UserState(String userId, Limits limits, boolean template) {
    this.userId = userId;
    this.limits = limits;
    this.template = template;
  }

  /** The empty state of a user, never changed itself: apply events to {@link #mutable()}. */
  public static UserState empty(String userId, Limits limits) {
    return new UserState(userId, limits, true);
  }

  /** This state, or a fresh empty one if this is the {@linkplain #empty empty template}. */
  public UserState mutable() {
    return template ? new UserState(userId, limits) : this;
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
    if (template) throw new IllegalStateException("the empty template is never changed");
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
    return pendingSeqs.size();
  }

  /** Undelivered messages to {@code to}. */
  public int pendingCountFor(String to) {
    TreeMap<Long, InboxItem> p = pending.get(to);
    return p == null ? 0 : p.size();
  }

  /** Bytes ({@link InboxItem#estimatedBytes()}) of all undelivered messages. */
  public long pendingBytes() {
    return pendingBytes;
  }

  /** Bytes ({@link InboxItem#estimatedBytes()}) of the tail. */
  public long tailBytes() {
    return tailBytes;
  }

  public long deviceKey(String device) {
    return deviceKeys.getOrDefault(device, 0L);
  }

  public Map<String, Long> deviceKeys() {
    return Collections.unmodifiableMap(deviceKeys);
  }

  /** Every device ever registered (removed ones too), in registration order. */
  public Map<String, DeviceRecord> devices() {
    return Collections.unmodifiableMap(devices);
  }

  public DeviceRecord device(String device) {
    return devices.get(device);
  }

  /** Registered devices that were not removed. */
  public int activeDevices() {
    int n = 0;
    for (DeviceRecord d : devices.values()) if (!d.removed()) n++;
    return n;
  }

  /** How far the user read the conversation (a peer's id, or "#" + group), 0 if never marked. */
  public long readUpTo(String conversation) {
    return reads.getOrDefault(conversation, 0L);
  }

  public Map<String, Long> reads() {
    return Collections.unmodifiableMap(reads);
  }

  public ReceiptMark receiptsFrom(String peer) {
    return receiptsFrom.getOrDefault(peer, ReceiptMark.NONE);
  }

  public Map<String, ReceiptMark> receiptMarks() {
    return Collections.unmodifiableMap(receiptsFrom);
  }

  public boolean readReceiptsOff() {
    return readReceiptsOff;
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

  /** Applies any event of the entity; returns the state to keep (a fresh one for the template). */
  public UserState apply(UserEntity.Event e, long sequenceNr) {
    UserState s = mutable();
    if (e instanceof MessageSent m) return s.applySent(m, sequenceNr);
    if (e instanceof MessageReceived m) return s.applyReceived(m, sequenceNr);
    if (e instanceof UserEntity.BookkeepingFlushed b) {
      s.applyBookkeeping(b.bookkeeping());
      s.trim();
      return s;
    }
    if (e instanceof UserEntity.ReceiptLogged r) return s.applyReceipt(r, sequenceNr);
    if (e instanceof UserEntity.DeviceRegistered d) {
      DeviceRecord before = s.devices.get(d.device());
      s.devices.put(d.device(), new DeviceRecord(d.platform(), before == null ? d.at() : before.registeredAt(), false));
      return s;
    }
    if (e instanceof UserEntity.DeviceRemoved d) {
      DeviceRecord before = s.devices.get(d.device());
      s.devices.put(d.device(), new DeviceRecord(before == null ? "" : before.platform(),
          before == null ? d.at() : before.registeredAt(), true));
      return s;
    }
    if (e instanceof UserEntity.ReadMarked r) {
      Long before = s.reads.remove(r.conversation()); // re-insert: most recently changed last
      s.reads.put(r.conversation(), before == null ? r.upTo() : Math.max(before, r.upTo()));
      s.trim();
      return s;
    }
    if (e instanceof UserEntity.PrefsChanged p) {
      s.readReceiptsOff = p.readReceiptsOff();
      return s;
    }
    throw new IllegalArgumentException("unknown event " + e.getClass());
  }

  public UserState apply(UserEntity.BookkeepingFlushed e) {
    return apply(e, 0);
  }

  private UserState applySent(MessageSent e, long sequenceNr) {
    InboxItem item = InboxItem.of(userId, e);
    append(item, sequenceNr);
    outbound.put(outboundKey(e.device(), e.clientMsgId()), new OutboundRecord(e.seq(), e.serverTs()));
    if (!e.to().equals(userId)) {
      pending.computeIfAbsent(e.to(), k -> new TreeMap<>()).put(e.seq(), item);
      pendingSeqs.add(e.seq());
      pendingBytes += item.estimatedBytes();
    }
    applyBookkeeping(e.bookkeeping());
    trim();
    return this;
  }

  private UserState applyReceived(MessageReceived e, long sequenceNr) {
    InboxItem item = InboxItem.of(userId, e);
    append(item, sequenceNr);
    String key = e.dedupKey();
    Long before = inboundHighWater.remove(key); // re-insert: most recently delivered last
    inboundHighWater.put(key, before == null ? e.senderSeq() : Math.max(before, e.senderSeq()));
    applyBookkeeping(e.bookkeeping());
    trim();
    return this;
  }

  private UserState applyReceipt(UserEntity.ReceiptLogged e, long sequenceNr) {
    append(InboxItem.of(userId, e), sequenceNr);
    Receipt r = e.receipt();
    if (r.kind() != Receipt.Kind.GROUP) {
      ReceiptMark before = receiptsFrom.remove(e.from());
      if (before == null) before = ReceiptMark.NONE;
      long read = r.kind() == Receipt.Kind.READ ? Math.max(before.read(), r.upTo()) : before.read();
      receiptsFrom.put(e.from(), new ReceiptMark(Math.max(Math.max(before.delivered(), r.upTo()), read), read));
    }
    applyBookkeeping(e.bookkeeping());
    trim();
    return this;
  }

  private void append(InboxItem item, long sequenceNr) {
    if (template) throw new IllegalStateException("the empty template is never changed");
    if (item.seq() != lastSeq + 1) {
      throw new IllegalStateException("inbox of " + userId + " would get seq " + item.seq()
          + " after " + lastSeq + ": sequence must be gapless");
    }
    lastSeq = item.seq();
    tail.addLast(item);
    tailBytes += item.estimatedBytes();
    if (sequenceNr > 0 && (item.seq() == 1 || item.seq() % limits.indexEvery() == 0)) {
      journalIndex.put(item.seq(), sequenceNr);
    }
  }

  private void applyBookkeeping(Bookkeeping b) {
    if (b == null) return;
    for (DeliveryRef d : b.delivered()) {
      TreeMap<Long, InboxItem> p = pending.get(d.to());
      if (p != null) {
        InboxItem gone = p.remove(d.seq());
        if (gone != null) {
          pendingSeqs.remove(d.seq());
          pendingBytes -= gone.estimatedBytes();
        }
        if (p.isEmpty()) pending.remove(d.to());
      }
    }
    b.deviceKeys().forEach((device, key) -> deviceKeys.merge(device, Math.min(key, lastSeq), Math::max));
  }

  private void trim() {
    while (!tail.isEmpty() && (tail.size() > limits.tailSize() || tailBytes > limits.tailMaxBytes())) {
      tailBytes -= tail.removeFirst().estimatedBytes();
    }
    // the oldest sends leave the dedup window first, except those still pending: a retry of a
    // pending send must find it, or it would become a second message
    int excess = outbound.size() - limits.outboundWindow();
    Iterator<OutboundRecord> it = outbound.values().iterator();
    while (excess > 0 && it.hasNext()) {
      if (!pendingSeqs.contains(it.next().seq())) {
        it.remove();
        excess--;
      }
    }
    Iterator<String> senders = inboundHighWater.keySet().iterator();
    while (inboundHighWater.size() > limits.inboundSendersMax() && senders.hasNext()) {
      senders.next();
      senders.remove();
    }
    // read marks and receipt marks: as many conversations as senders are remembered
    Iterator<String> marks = reads.keySet().iterator();
    while (reads.size() > limits.inboundSendersMax() && marks.hasNext()) {
      marks.next();
      marks.remove();
    }
    Iterator<String> peers = receiptsFrom.keySet().iterator();
    while (receiptsFrom.size() > limits.inboundSendersMax() && peers.hasNext()) {
      peers.next();
      peers.remove();
    }
  }

  // ---------------------------------------------------------------- snapshot restore

  /** Used only when restoring from a snapshot. */
  public void restore(long lastSeq, List<InboxItem> tailItems, Map<String, OutboundRecord> outboundRecords,
      Map<String, Long> highWater, List<InboxItem> pendingItems, Map<String, Long> keys,
      Map<Long, Long> index) {
    if (template) throw new IllegalStateException("the empty template is never changed");
    this.lastSeq = lastSeq;
    tail.clear();
    tail.addAll(tailItems);
    tailBytes = 0;
    for (InboxItem i : tailItems) tailBytes += i.estimatedBytes();
    outbound.clear();
    outbound.putAll(outboundRecords);
    inboundHighWater.clear();
    inboundHighWater.putAll(highWater);
    pending.clear();
    pendingSeqs.clear();
    pendingBytes = 0;
    for (InboxItem i : pendingItems) {
      pending.computeIfAbsent(i.to(), k -> new TreeMap<>()).put(i.seq(), i);
      pendingSeqs.add(i.seq());
      pendingBytes += i.estimatedBytes();
    }
    deviceKeys.clear();
    deviceKeys.putAll(keys);
    journalIndex.clear();
    journalIndex.putAll(index);
    trim();
  }

  /** Used only when restoring from a snapshot (after {@link #restore}). */
  public void restoreDevicesAndMarks(Map<String, DeviceRecord> deviceRecords, Map<String, Long> readMarks,
      Map<String, ReceiptMark> receiptMarks, boolean receiptsOff) {
    if (template) throw new IllegalStateException("the empty template is never changed");
    devices.clear();
    devices.putAll(deviceRecords);
    reads.clear();
    reads.putAll(readMarks);
    receiptsFrom.clear();
    receiptsFrom.putAll(receiptMarks);
    readReceiptsOff = receiptsOff;
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
