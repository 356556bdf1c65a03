package io.insync.ops.bench;

import io.insync.client.InsyncClient;
import io.insync.protocol.Content;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.Notify;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The group run: {@code members} online users (one device each, automatic sync on, one shared event
 * loop group) in one fresh group, and posts to it from {@code senders} of them in turn on a
 * fixed-rate open-loop schedule. For each post it records when each member was notified of it (the
 * first {@code Notify} whose {@code latest_seq} covers the item's inbox seq; the item's arrival if it
 * came before any such notify) and when the member's automatic sync got it, and so the time from the
 * post's scheduled send to the LAST member's notify and to the last member's sync. Only items of
 * kind {@code MESSAGE} of this group count. Bounded: {@code rate x (warmup + duration)} posts, then
 * at most {@code drain} for the stragglers, then every connection is closed.
 */
public final class GroupBench {
  private static final long MAX_LATENCY_MICROS = RunCounters.MAX_LATENCY_MICROS;

  /** Upper bound on posts x members per run (the per-member record of what arrived). */
  public static final long MAX_DELIVERIES = 50_000_000L;

  /** What to run. */
  public record Settings(List<InetSocketAddress> servers, int members, int senders, double rate, Duration duration,
      Duration warmup, int payloadBytes, Duration drain, Duration sendTimeout, int connectConcurrency, int ioThreads,
      String secret, List<Long> nodePids, OptionalLong cassandraPid, JournalWrites journalWrites) {
    public Settings {
      nodePids = List.copyOf(nodePids);
      if (servers.isEmpty()) throw new IllegalArgumentException("no gateway to send to");
      if (members < 2) throw new IllegalArgumentException("--members must be at least 2");
      if (senders < 1 || senders > members) throw new IllegalArgumentException("--senders must be 1.." + members);
      if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive");
      if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive");
      if (warmup.isNegative()) throw new IllegalArgumentException("--warmup must not be negative");
      if (payloadBytes < 0) throw new IllegalArgumentException("--payload-bytes must not be negative");
    }
  }

  private final Settings s;
  private final PrintStream log;
  private final String run;
  private final String group;
  private final MessageIds ids;

  private final RunCounters sends = new RunCounters();
  private final Histogram memberNotifyHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final Histogram lastNotifyHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final Histogram lastSyncHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder beforeNotify = new LongAdder();
  private final LongAdder memberDeliveries = new LongAdder();
  private final LongAdder joinedMembers = new LongAdder();
  private final AtomicLong completedInWindow = new AtomicLong();
  private final AtomicLong completedTotal = new AtomicLong();

  // per post, indexed by its number
  private AtomicIntegerArray reached;   // members that have it
  private AtomicIntegerArray outcome;   // 0 pending, 1 acked, 2 failed
  private AtomicLongArray lastNotify;   // nanoTime of the latest member's notify of it
  private AtomicLongArray lastItem;     // nanoTime of the latest member's sync of it
  private FixedRateSchedule schedule;
  private long firstMeasured;
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;

  public GroupBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.log = progress;
    this.run = Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36);
    this.group = "bench" + run + "g";
    this.ids = new MessageIds(run);
  }

  public GroupReport run() throws Exception {
    long warmupNanos = s.warmup().toNanos();
    long durationNanos = s.duration().toNanos();
    long total = FixedRateSchedule.messagesIn(s.rate(), warmupNanos + durationNanos);
    if (total * s.members() > MAX_DELIVERIES) {
      throw new IllegalArgumentException("too many member deliveries for one run: " + total + " posts x " + s.members());
    }
    firstMeasured = FixedRateSchedule.messagesIn(s.rate(), warmupNanos);
    reached = new AtomicIntegerArray((int) total);
    outcome = new AtomicIntegerArray((int) total);
    lastNotify = new AtomicLongArray((int) total);
    lastItem = new AtomicLongArray((int) total);
    for (int n = 0; n < total; n++) {
      lastNotify.set(n, Long.MIN_VALUE);
      lastItem.set(n, Long.MIN_VALUE);
    }

    try (BenchClients.Fleet fleet = new BenchClients.Fleet(s.members(), "bench" + run + "m", s.ioThreads(), s.servers(),
        s.secret(), s.sendTimeout(), (i, user) -> new Member((int) total))) {
      List<InsyncClient> clients = fleet.clients;
      List<String> userIds = fleet.users;
      long t0 = System.nanoTime();
      BenchClients.connectAll(clients, s.connectConcurrency());
      long t1 = System.nanoTime();
      clients.get(0).createGroup(group, "bench " + run, userIds.subList(1, userIds.size()))
          .get(60, TimeUnit.SECONDS);
      long joinedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (joinedMembers.sum() < s.members() && System.nanoTime() < joinedBy) Thread.sleep(50);
      if (joinedMembers.sum() < s.members()) {
        throw new IllegalStateException("only " + joinedMembers.sum() + " of " + s.members()
            + " members got the group's creation within 60 s");
      }
      log.printf("bench %s: %d members connected in %.1f s, group %s created and fanned out in %.1f s; posting %d "
              + "messages at %.1f/s from %d sender(s) (%d warm-up)%n", run, clients.size(), (t1 - t0) / 1e9, group,
          (System.nanoTime() - t1) / 1e9, total, s.rate(), s.senders(), firstMeasured);

      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      schedule = new FixedRateSchedule(start, s.rate(), total);
      windowStart = start + warmupNanos;
      windowEnd = windowStart + durationNanos;
      MeasuredWindow window = new MeasuredWindow(new CpuMeter(CpuMeter.roles(s.nodePids(), s.cassandraPid())),
          s.journalWrites(), windowStart, windowEnd);
      Thread sender = BenchClients.start("bench-sender", false, () -> sendAll(clients));
      Thread progress = BenchClients.progress(log, () -> String.format(java.util.Locale.ROOT,
          "  t=%3.0fs posted %d, reached every member %d, member deliveries %d, errors %d, timeouts %d",
          (System.nanoTime() - start) / 1e9, sends.sentTotal.get(), completedTotal.get(), memberDeliveries.sum(),
          sends.errors.sum(), sends.timeouts.sum()));
      MeasuredWindow.Result measured = BenchClients.finish(sender, progress, s.drain(), () -> settled(total), window);
      return new GroupReport(run, s.servers().stream().map(a -> a.getHostString() + ":" + a.getPort())
              .collect(java.util.stream.Collectors.joining(",")), s.members(), s.senders(), s.rate(), warmupNanos / 1e9,
          durationNanos / 1e9, s.payloadBytes(), sends.sentInWindow.get(), sends.ackedInWindow.get(),
          completedInWindow.get(), sends.ackLatencyMicros.copy(), memberNotifyHist.copy(), lastNotifyHist.copy(), lastSyncHist.copy(),
          sends.errors.sum(), sends.timeouts.sum(), sends.disconnects.sum(), sends.serverErrors(), sends.maxLagMicros(),
          check((int) sends.sentTotal.get()), measured.percent(), measured.cpu(), measured.journalWrites(), null);
    }
  }

  /** Every post is acked or failed, and every acked one reached every member. */
  private boolean settled(long total) {
    if (sends.sentTotal.get() < total) return false;
    for (int n = 0; n < total; n++) {
      int o = outcome.get(n);
      if (o == 0 || (o == 1 && reached.get(n) < s.members())) return false;
    }
    return true;
  }

  private GroupReport.Check check(int sent) {
    long acked = 0, failed = 0, complete = 0, incomplete = 0;
    for (int n = 0; n < sent; n++) {
      int o = outcome.get(n);
      if (o == 1) acked++;
      if (o == 2) failed++;
      if (reached.get(n) == s.members()) complete++;
      else if (o == 1) incomplete++;
    }
    return new GroupReport.Check(sent, acked, failed, sent - acked - failed, complete, incomplete, duplicates.sum(),
        memberDeliveries.sum(), beforeNotify.sum());
  }

  private void sendAll(List<InsyncClient> clients) {
    for (long n = 0; n < schedule.total(); n++) {
      long due = schedule.dueNanos(n);
      BenchClients.sleepUntil(due);
      int idx = (int) n;
      long now = System.nanoTime();
      sends.sending(n, now - due, now >= windowStart && now < windowEnd);
      Content content = Content.newBuilder().setText(ids.text(n, s.payloadBytes())).build();
      clients.get(idx % s.senders()).sendToGroup(ids.id(n), group, content).whenComplete((ack, err) -> {
        long t = System.nanoTime();
        if (err != null) {
          outcome.set(idx, 2);
          sends.failed(err);
          return;
        }
        if (outcome.compareAndSet(idx, 0, 1)) {
          sends.acked(due, t, idx >= firstMeasured, t >= windowStart && t < windowEnd);
        }
      });
    }
  }

  private static long micros(long fromNanos, long toNanos) {
    return Math.min(MAX_LATENCY_MICROS, Math.max(0, toNanos - fromNanos) / 1000);
  }

  /** One member's callbacks, all on its client's event loop: record and return. */
  private final class Member extends RunCounters.CountingListener {
    private final BitSet seen;
    /** Notifies not yet matched to an item: {latest_seq, nanoTime}, oldest first. */
    private final ArrayDeque<long[]> notifies = new ArrayDeque<>();

    Member(int posts) {
      super(sends);
      this.seen = new BitSet(posts);
    }

    @Override
    public void onNotify(Notify notify) {
      notifies.addLast(new long[] {notify.getLatestSeq(), System.nanoTime()});
    }

    /** When this member was first told of inbox seq {@code seq}: the first notify that covers it, else {@code now}. */
    private long notifiedAt(long seq, long now) {
      while (!notifies.isEmpty() && Long.compareUnsigned(notifies.peekFirst()[0], seq) < 0) notifies.pollFirst();
      if (notifies.isEmpty()) {
        beforeNotify.increment();
        return now;
      }
      return notifies.peekFirst()[1];
    }

    @Override
    public void onItems(List<Item> items) {
      long t = System.nanoTime();
      for (Item item : items) {
        if (!group.equals(item.getGroup())) continue;
        if (item.getKind() == ItemKind.GROUP_EVENT) {
          joinedMembers.increment(); // the group's creation: this member is in
          continue;
        }
        if (item.getKind() != ItemKind.MESSAGE) continue; // receipts and newer kinds
        long parsed = ids.parse(item.getContent().getText());
        if (parsed < 0 || parsed >= reached.length()) continue;
        int n = (int) parsed;
        long notified = notifiedAt(item.getSeq(), t);
        if (seen.get(n)) {
          duplicates.increment();
          continue;
        }
        seen.set(n);
        memberDeliveries.increment();
        long due = schedule.dueNanos(n);
        if (n >= firstMeasured) memberNotifyHist.recordValue(micros(due, notified));
        lastNotify.accumulateAndGet(n, notified, Math::max);
        lastItem.accumulateAndGet(n, t, Math::max);
        if (reached.incrementAndGet(n) == s.members()) {
          completedTotal.incrementAndGet();
          if (t >= windowStart && t < windowEnd) completedInWindow.incrementAndGet();
          if (n >= firstMeasured) {
            lastNotifyHist.recordValue(micros(due, lastNotify.get(n)));
            lastSyncHist.recordValue(micros(due, lastItem.get(n)));
          }
        }
      }
    }
  }
}
