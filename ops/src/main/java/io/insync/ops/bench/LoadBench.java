package io.insync.ops.bench;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.insync.protocol.Content;
import io.insync.protocol.Error;
import io.insync.protocol.Item;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The load run: N online users (one device each, automatic sync on, one shared event loop
 * group), and 1:1 messages between random distinct users on a fixed-rate open-loop schedule.
 * Bounded: it sends exactly {@code rate x (warmup + duration)} messages, then waits at most
 * {@code drain} for the stragglers, then closes every connection.
 */
public final class LoadBench {
  private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

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

  private final Histogram ackHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final Histogram deliverHist = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  private final LongAdder ackedTotal = new LongAdder();
  private final LongAdder deliveredTotal = new LongAdder();
  private final LongAdder sendErrors = new LongAdder();
  private final LongAdder sendTimeouts = new LongAdder();
  private final LongAdder disconnects = new LongAdder();
  private final Map<String, LongAdder> serverErrors = new ConcurrentHashMap<>();
  private final AtomicLong sentTotal = new AtomicLong();
  private final AtomicLong maxLagNanos = new AtomicLong();
  private final AtomicLong ackedInWindow = new AtomicLong();
  private final AtomicLong deliveredInWindow = new AtomicLong();
  private final AtomicLong sentInWindow = new AtomicLong();

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

    EventLoopGroup group = new NioEventLoopGroup(s.ioThreads(), new DefaultThreadFactory("bench-io", true));
    List<InsyncClient> clients = new ArrayList<>(s.users());
    List<String> userIds = new ArrayList<>(s.users());
    TokenSigner signer = TokenSigner.fromSecret(s.secret());
    try {
      for (int i = 0; i < s.users(); i++) {
        String user = "bench" + run + "u" + i;
        userIds.add(user);
        String token = signer.sign(user, "d0", Instant.now().plus(Duration.ofHours(6)));
        clients.add(InsyncClient.create(ClientOptions.builder()
            .addresses(s.servers())
            .token(token)
            .autoSync(true)
            .syncKeyStore(new InMemorySyncKeyStore())
            .eventLoopGroup(group)
            .sendRetryTimeout(s.sendTimeout())
            .listener(new Listener(i, user))
            .clientVersion("insync-bench")
            .build()));
      }
      long t0 = System.nanoTime();
      connectAll(clients, s.connectConcurrency());
      log.printf("bench %s: %d users connected in %.1f s; sending %d messages at %.0f/s (%d warm-up)%n",
          run, clients.size(), (System.nanoTime() - t0) / 1e9, total, s.rate(), warmupCount);

      CpuMeter cpuMeter = new CpuMeter(CpuMeter.roles(s.nodePids(), s.cassandraPid()));
      List<CpuMeter.CpuUse> cpuUse = new ArrayList<>();
      long[] journalWrites = {-1};

      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      FixedRateSchedule schedule = new FixedRateSchedule(start, s.rate(), total);
      scheduleRef[0] = schedule;
      windowStart = start + warmupNanos;
      windowEnd = windowStart + durationNanos;

      Thread cpuSampler = start("bench-cpu", true, () -> {
        sleepUntil(windowStart);
        cpuMeter.start();
        OptionalLong writesBefore = s.journalWrites() == null ? OptionalLong.empty() : s.journalWrites().count();
        sleepUntil(windowEnd);
        List<CpuMeter.CpuUse> used = cpuMeter.stop();
        OptionalLong writesAfter = s.journalWrites() == null ? OptionalLong.empty() : s.journalWrites().count();
        synchronized (journalWrites) {
          journalWrites[0] = JournalWrites.between(writesBefore, writesAfter);
        }
        synchronized (cpuUse) {
          cpuUse.addAll(used);
        }
      });

      Thread sender = start("bench-sender", false, () -> sendAll(schedule, clients, userIds));
      Thread progress = start("bench-progress", true, () -> progress(start));
      sender.join();
      long drainUntil = System.nanoTime() + s.drain().toNanos();
      while (System.nanoTime() < drainUntil && !settled(total)) Thread.sleep(100);
      progress.interrupt();
      cpuSampler.join(Math.max(1000, TimeUnit.NANOSECONDS.toMillis(windowEnd - System.nanoTime()) + 1000));

      Map<String, Double> cpu = new LinkedHashMap<>();
      List<CpuMeter.CpuUse> used;
      synchronized (cpuUse) {
        used = List.copyOf(cpuUse);
      }
      for (CpuMeter.CpuUse u : used) cpu.put(u.role(), u.percentOfCore());
      long writes;
      synchronized (journalWrites) {
        writes = journalWrites[0];
      }
      Map<String, Long> errs = new LinkedHashMap<>();
      serverErrors.forEach((k, v) -> errs.put(k, v.sum()));
      return new LoadReport(run, s.servers().stream().map(a -> a.getHostString() + ":" + a.getPort())
              .collect(java.util.stream.Collectors.joining(",")), s.users(), s.rate(), warmupNanos / 1e9, durationNanos / 1e9,
          s.payloadBytes(), sentInWindow.get(), ackedInWindow.get(), deliveredInWindow.get(), ackHist.copy(),
          deliverHist.copy(), sendErrors.sum(), sendTimeouts.sum(), disconnects.sum(), errs,
          TimeUnit.NANOSECONDS.toMicros(maxLagNanos.get()), ledger.check((int) sentTotal.get()), cpu, used, writes);
    } finally {
      for (InsyncClient c : clients) c.close();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  /** Every sent message is acked or failed, and every acked one delivered. */
  private boolean settled(long total) {
    long sent = sentTotal.get();
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

  private void connectAll(List<InsyncClient> clients, int concurrency) throws Exception {
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (InsyncClient c : clients) {
      permits.acquire();
      all.add(c.connect().whenComplete((ok, err) -> permits.release()));
    }
    int failed = 0;
    Throwable firstError = null;
    for (CompletableFuture<?> f : all) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        failed++;
        if (firstError == null) firstError = e;
      }
    }
    if (failed > 0) {
      throw new IllegalStateException(failed + " of " + clients.size() + " users could not connect", firstError);
    }
  }

  private void sendAll(FixedRateSchedule schedule, List<InsyncClient> clients, List<String> userIds) {
    SplittableRandom random = new SplittableRandom(s.seed());
    int users = clients.size();
    for (long n = 0; n < schedule.total(); n++) {
      long due = schedule.dueNanos(n);
      sleepUntil(due);
      long lag = System.nanoTime() - due;
      if (lag > maxLagNanos.get()) maxLagNanos.set(lag);
      int from = random.nextInt(users);
      int to = random.nextInt(users - 1);
      if (to >= from) to++;
      int idx = (int) n;
      ledger.sent(idx, to);
      long now = System.nanoTime();
      if (now >= windowStart && now < windowEnd) sentInWindow.incrementAndGet();
      sentTotal.set(n + 1);
      Content content = Content.newBuilder().setText(ids.text(n, s.payloadBytes())).build();
      clients.get(from).send(ids.id(n), userIds.get(to), content).whenComplete((ack, err) -> {
        long t = System.nanoTime();
        if (err != null) {
          synchronized (failedSet) {
            failedSet.set(idx);
          }
          ledger.failed(idx);
          Throwable root = err;
          while (root.getCause() != null && root.getCause() != root) root = root.getCause();
          if (root instanceof TimeoutException) sendTimeouts.increment();
          else sendErrors.increment();
          return;
        }
        if (ledger.acked(idx)) {
          ackedTotal.increment();
          if (t >= windowStart && t < windowEnd) ackedInWindow.incrementAndGet();
          if (idx >= firstMeasured) ackHist.recordValue(Math.min(MAX_LATENCY_MICROS, (t - due) / 1000));
        }
      });
    }
  }

  private void progress(long start) {
    try {
      while (true) {
        Thread.sleep(5000);
        log.printf("  t=%3.0fs sent %d acked %d delivered %d errors %d timeouts %d%n",
            (System.nanoTime() - start) / 1e9, sentTotal.get(), ackedTotal.sum(), deliveredTotal.sum(),
            sendErrors.sum(), sendTimeouts.sum());
      }
    } catch (InterruptedException e) {
      // done
    }
  }

  private static Thread start(String name, boolean daemon, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(daemon);
    t.start();
    return t;
  }

  private static void sleepUntil(long deadline) {
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return;
      LockSupport.parkNanos(left);
    }
  }

  /** One user's callbacks (on the event loop: record and return). */
  private final class Listener implements ClientListener {
    private final int user;
    private final String userId;

    Listener(int user, String userId) {
      this.user = user;
      this.userId = userId;
    }

    @Override
    public void onItems(List<Item> items) {
      long t = System.nanoTime();
      for (Item item : items) {
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

    @Override
    public void onDisconnected(Throwable cause) {
      disconnects.increment();
    }

    @Override
    public void onError(Error error) {
      serverErrors.computeIfAbsent(error.getCode().name(), k -> new LongAdder()).increment();
    }
  }
}
