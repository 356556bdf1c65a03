package io.insync.ops.bench;

import io.insync.client.InsyncClient;
import io.insync.protocol.Content;
import io.insync.protocol.Item;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The load run: N online users (one device each, automatic sync on, one shared event loop
 * group), and 1:1 messages between random distinct users on a fixed-rate open-loop schedule.
 * Bounded: it sends exactly {@code rate x (warmup + duration)} messages, then waits at most
 * {@code drain} for the stragglers, then closes every connection.
 */
public final class LoadBench {
  private static final long MAX_LATENCY_MICROS = RunCounters.MAX_LATENCY_MICROS;

  /** What to run. */
  public record Settings(List<InetSocketAddress> servers, int users, double rate, Duration duration,
      Duration warmup, int payloadBytes, Duration drain, Duration sendTimeout, int connectConcurrency,
      int ioThreads, long seed, String secret, List<Long> nodePids, OptionalLong cassandraPid,
      JournalWrites journalWrites) {
    /** Without a journal-write counter. */
    public Settings(List<InetSocketAddress> servers, int users, double rate, Duration duration, Duration warmup,
        int payloadBytes, Duration drain, Duration sendTimeout, int connectConcurrency, int ioThreads, long seed,
        String secret, OptionalLong nodePid, OptionalLong cassandraPid) {
      this(servers, users, rate, duration, warmup, payloadBytes, drain, sendTimeout, connectConcurrency, ioThreads,
          seed, secret, nodePid.isPresent() ? List.of(nodePid.getAsLong()) : List.of(), cassandraPid, null);
    }

    public Settings {
      nodePids = List.copyOf(nodePids);
      if (servers.isEmpty()) throw new IllegalArgumentException("no gateway to send to");
      if (users < 2) throw new IllegalArgumentException("--users must be at least 2");
      if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive");
      if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive");
      if (warmup.isNegative()) throw new IllegalArgumentException("--warmup must not be negative");
      if (payloadBytes < 0) throw new IllegalArgumentException("--payload-bytes must not be negative");
    }
  }

  /** Upper bound on messages per run (memory of the ledger; also keeps the load bounded). */
  public static final long MAX_MESSAGES = 20_000_000L;

  private final Settings s;
  private final PrintStream log;
  private final String run;
  private final MessageIds ids;
  private final FixedRateSchedule[] scheduleRef = new FixedRateSchedule[1];

  private final RunCounters sends = new RunCounters();
  private final Histogram deliverHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final LongAdder ackedTotal = new LongAdder();
  private final LongAdder deliveredTotal = new LongAdder();
  private final AtomicLong deliveredInWindow = new AtomicLong();

  private DeliveryLedger ledger;
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;
  private long firstMeasured;

  public LoadBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.log = progress;
    this.run = Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36);
    this.ids = new MessageIds(run);
  }

  public LoadReport run() throws Exception {
    long warmupNanos = s.warmup().toNanos();
    long durationNanos = s.duration().toNanos();
    long total = FixedRateSchedule.messagesIn(s.rate(), warmupNanos + durationNanos);
    if (total > MAX_MESSAGES) throw new IllegalArgumentException("too many messages for one run: " + total);
    long warmupCount = FixedRateSchedule.messagesIn(s.rate(), warmupNanos);
    firstMeasured = warmupCount;
    ledger = new DeliveryLedger((int) total);

    try (BenchClients.Fleet fleet = new BenchClients.Fleet(s.users(), "bench" + run + "u", s.ioThreads(), s.servers(),
        s.secret(), s.sendTimeout(), (i, user) -> new Listener(i, user))) {
      List<InsyncClient> clients = fleet.clients;
      List<String> userIds = fleet.users;
      long t0 = System.nanoTime();
      BenchClients.connectAll(clients, s.connectConcurrency());
      log.printf("bench %s: %d users connected in %.1f s; sending %d messages at %.0f/s (%d warm-up)%n",
          run, clients.size(), (System.nanoTime() - t0) / 1e9, total, s.rate(), warmupCount);

      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      FixedRateSchedule schedule = new FixedRateSchedule(start, s.rate(), total);
      scheduleRef[0] = schedule;
      windowStart = start + warmupNanos;
      windowEnd = windowStart + durationNanos;
      MeasuredWindow window = new MeasuredWindow(new CpuMeter(CpuMeter.roles(s.nodePids(), s.cassandraPid())),
          s.journalWrites(), windowStart, windowEnd);

      Thread sender = BenchClients.start("bench-sender", false, () -> sendAll(schedule, clients, userIds));
      Thread progress = BenchClients.progress(log, () -> String.format(java.util.Locale.ROOT,
          "  t=%3.0fs sent %d acked %d delivered %d errors %d timeouts %d", (System.nanoTime() - start) / 1e9,
          sends.sentTotal.get(), ackedTotal.sum(), deliveredTotal.sum(), sends.errors.sum(), sends.timeouts.sum()));
      MeasuredWindow.Result measured = BenchClients.finish(sender, progress, s.drain(), () -> settled(total), window);
      return new LoadReport(run, s.servers().stream().map(a -> a.getHostString() + ":" + a.getPort())
              .collect(java.util.stream.Collectors.joining(",")), s.users(), s.rate(), warmupNanos / 1e9, durationNanos / 1e9,
          s.payloadBytes(), sends.sentInWindow.get(), sends.ackedInWindow.get(), deliveredInWindow.get(),
          sends.ackLatencyMicros.copy(), deliverHist.copy(), sends.errors.sum(), sends.timeouts.sum(),
          sends.disconnects.sum(), sends.serverErrors(), sends.maxLagMicros(), ledger.check((int) sends.sentTotal.get()),
          measured.percent(), measured.cpu(), measured.journalWrites());
    }
  }

  /** Every sent message is acked or failed, and every acked one delivered. */
  private boolean settled(long total) {
    long sent = sends.sentTotal.get();
    if (sent < total) return false;
    for (int n = 0; n < sent; n++) {
      if (!ledger.isAcked(n)) {
        if (!failedOrAcked(n)) return false;
      } else if (ledger.deliveries(n) == 0) {
        return false;
      }
    }
    return true;
  }

  private final java.util.BitSet failedSet = new java.util.BitSet();

  private boolean failedOrAcked(int n) {
    synchronized (failedSet) {
      return failedSet.get(n);
    }
  }

  private void sendAll(FixedRateSchedule schedule, List<InsyncClient> clients, List<String> userIds) {
    SplittableRandom random = new SplittableRandom(s.seed());
    int users = clients.size();
    for (long n = 0; n < schedule.total(); n++) {
      long due = schedule.dueNanos(n);
      BenchClients.sleepUntil(due);
      int from = random.nextInt(users);
      int to = random.nextInt(users - 1);
      if (to >= from) to++;
      int idx = (int) n;
      ledger.sent(idx, to);
      long now = System.nanoTime();
      sends.sending(n, now - due, now >= windowStart && now < windowEnd);
      Content content = Content.newBuilder().setText(ids.text(n, s.payloadBytes())).build();
      clients.get(from).send(ids.id(n), userIds.get(to), content).whenComplete((ack, err) -> {
        long t = System.nanoTime();
        if (err != null) {
          synchronized (failedSet) {
            failedSet.set(idx);
          }
          ledger.failed(idx);
          sends.failed(err);
          return;
        }
        if (ledger.acked(idx)) {
          ackedTotal.increment();
          sends.acked(due, t, idx >= firstMeasured, t >= windowStart && t < windowEnd);
        }
      });
    }
  }

  /** One user's callbacks (on the event loop: record and return). */
  private final class Listener extends RunCounters.CountingListener {
    private final int user;
    private final String userId;

    Listener(int user, String userId) {
      super(sends);
      this.user = user;
      this.userId = userId;
    }

    @Override
    public void onItems(List<Item> items) {
      long t = System.nanoTime();
      for (Item item : items) {
        if (!DeliveryLedger.isDelivery(item)) continue; // receipts, group items: not this bench's messages
        if (userId.equals(item.getFrom())) continue; // the sender's own copy in its inbox
        long n = ids.parse(item.getContent().getText());
        if (n < 0) continue;
        int idx = (int) n;
        if (ledger.delivered(idx, user, t)) {
          deliveredTotal.increment();
          if (t >= windowStart && t < windowEnd) deliveredInWindow.incrementAndGet();
          if (idx >= firstMeasured) {
            long due = scheduleRef[0].dueNanos(idx);
            deliverHist.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(0, t - due) / 1000));
          }
        }
      }
    }
  }
}
