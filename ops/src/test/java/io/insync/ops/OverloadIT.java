package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.client.ServerErrorException;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.ops.bench.DeliveryLedger;
import io.insync.ops.bench.MessageIds;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Content;
import io.insync.protocol.Error;
import io.insync.protocol.Item;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Overload, then relief (issue 5, item 10). One real node on the test Cassandra; from this JVM,
 * {@value #USERS} online users (the SDK, automatic sync on) send 1:1 messages on an open-model
 * fixed-rate schedule: {@link #HIGH_SECONDS} s at {@link #HIGH_RATE}/s, far above what one node on
 * this machine holds, then {@link #LOW_SECONDS} s at {@link #LOW_RATE}/s (about half of what the
 * slowest machine we run on holds). A system that degrades refuses the excess early (retry-after)
 * and is normal again soon after the load drops; one that collapses keeps a backlog, times out,
 * and its latency stays at seconds. Checked: p99 send→ack, from each message's scheduled time, of
 * the messages scheduled from {@link #RECOVERY} after the drop on is under {@link #P99_BOUND}, or
 * under {@link #BASELINE_FACTOR} times the p99 measured at the low rate before the overload when
 * the machine is that slow today (a message not acked counts as infinitely late); the node stays alive and serves a new client; and
 * every acked message reached its recipient exactly once. Bounded: a fixed number of messages,
 * then at most {@link #DRAIN} for stragglers. Rates can be changed with
 * {@code -Dinsync.overload.high-rate=R} / {@code low-rate}, to explore.
 */
@ExtendWith(CassandraExtension.class)
class OverloadIT {
  static final int USERS = 1000;
  static final double HIGH_RATE = Double.parseDouble(System.getProperty("insync.overload.high-rate", "3000"));
  static final double HIGH_SECONDS = 30;
  static final double LOW_RATE = Double.parseDouble(System.getProperty("insync.overload.low-rate", "200"));
  static final double LOW_SECONDS = 20;
  static final Duration RECOVERY = Duration.ofSeconds(10);
  static final Duration P99_BOUND = Duration.ofSeconds(1);
  /** After recovery, p99 may be at most this many times the baseline p99 (when that is above P99_BOUND). */
  static final long BASELINE_FACTOR = 3;
  static final double BASELINE_SECONDS = 5;
  static final Duration DRAIN = Duration.ofSeconds(35);
  static final Duration SEND_RETRY_TIMEOUT = Duration.ofSeconds(30);

  private static final long NOT_ACKED = Long.MAX_VALUE;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void latencyIsNormalSoonAfterOverloadAndNothingAckedIsLost() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    try (NodeProcess node = new NodeProcess(cassandra, "overload")
        // production timeouts for sessions (the test node's 2 s auth-timeout is for the timeout tests)
        .withJvmArgs("-Xmx768m", "-Dinsync.gateway.auth-timeout=10s", "-Dinsync.gateway.idle-timeout=90s",
            "-Dinsync.gateway.heartbeat-interval=30s").start()) {
      Load load = new Load(node.tcpPort());
      try {
        load.connect();
        long baselineP99 = load.baselineP99Micros();
        System.out.println("overload baseline: p99 send->ack " + baselineP99 / 1000 + " ms at " + LOW_RATE + "/s");
        load.run();
        load.drain();
        String summary = load.summary();
        System.out.println(summary);

        assertTrue(node.isAlive(), "the node survived the overload\n" + summary);
        load.roundTripOfANewClient();

        DeliveryLedger.Check check = load.ledger.check((int) load.schedule.total());
        assertEquals(0, check.missing(), "acked messages never delivered to their recipient\n" + summary);
        assertEquals(0, check.duplicateDeliveries(), "acked messages delivered more than once\n" + summary);
        assertEquals(0, check.misrouted(), "messages delivered to someone else\n" + summary);

        // "normal" is what this machine does at the low rate without a backlog, measured in this run
        // (a CPU hog beside the test slows both alike); never stricter than P99_BOUND
        long bound = Math.max(P99_BOUND.toNanos() / 1000, BASELINE_FACTOR * baselineP99);
        long p99 = load.p99MicrosFrom(load.schedule.dropNanos() + RECOVERY.toNanos());
        assertTrue(p99 <= bound,
            "p99 send->ack from " + RECOVERY.toSeconds() + " s after the drop: "
                + (p99 == NOT_ACKED ? "not all acked" : p99 / 1000 + " ms") + ", bound " + bound / 1000
                + " ms (baseline p99 at " + LOW_RATE + "/s before the overload: " + baselineP99 / 1000 + " ms)\n"
                + summary);
      } finally {
        load.close();
      }
    }
  }

  /** The users, the schedule and what happened to every message. */
  static final class Load implements AutoCloseable {
    final String run = Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36);
    final MessageIds ids = new MessageIds(run);
    final EventLoopGroup group = new NioEventLoopGroup(2, new DefaultThreadFactory("overload-io", true));
    final List<InsyncClient> clients = new ArrayList<>();
    final List<String> users = new ArrayList<>();
    final int port;
    StepSchedule schedule;
    DeliveryLedger ledger;
    AtomicLongArray ackedAt;                       // nanoTime of the ack, 0 until then
    final LongAdder completed = new LongAdder();   // acked or failed
    final LongAdder timeouts = new LongAdder();
    final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    final Map<String, LongAdder> serverErrors = new ConcurrentHashMap<>();
    final LongAdder disconnects = new LongAdder();
    final AtomicLong maxSendLagNanos = new AtomicLong();

    Load(int port) {
      this.port = port;
    }

    void connect() throws Exception {
      TokenSigner signer = TokenSigner.fromSecret(TokenSigner.DEV_SECRET);
      for (int i = 0; i < USERS; i++) {
        String user = "ovl" + run + "u" + i;
        users.add(user);
        int me = i;
        clients.add(InsyncClient.create(ClientOptions.builder()
            .address(new InetSocketAddress("127.0.0.1", port))
            .token(signer.sign(user, "d0", Instant.now().plus(Duration.ofHours(1))))
            .syncKeyStore(new InMemorySyncKeyStore())
            .autoSync(true)
            .eventLoopGroup(group)
            .sendRetryTimeout(SEND_RETRY_TIMEOUT)
            .clientVersion("insync-overload-it")
            .listener(new Listener(me, user))
            .build()));
      }
      // the first Auth of each user starts its entity (a recovery): connect a few at a time
      Semaphore permits = new Semaphore(50);
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (InsyncClient c : clients) {
        permits.acquire();
        all.add(connectWithRetries(c, 3).whenComplete((ok, err) -> permits.release()));
      }
      for (CompletableFuture<?> f : all) f.get(120, TimeUnit.SECONDS);
    }

    private static CompletableFuture<?> connectWithRetries(InsyncClient c, int attempts) {
      return c.connect().handle((ok, err) -> {
        if (err == null) return CompletableFuture.<Object>completedFuture(ok);
        if (attempts <= 1) return CompletableFuture.failedFuture(err);
        return connectWithRetries(c, attempts - 1).thenApply(x -> (Object) x);
      }).thenCompose(f -> f);
    }

    /**
     * p99 send→ack (from each message's scheduled time) of {@link #BASELINE_SECONDS} s at the low
     * rate before any overload: what "normal" is on this machine today.
     */
    long baselineP99Micros() throws InterruptedException {
      int count = (int) Math.round(LOW_RATE * BASELINE_SECONDS);
      long[] latency = new long[count];
      java.util.Arrays.fill(latency, NOT_ACKED);
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(count);
      SplittableRandom random = new SplittableRandom(7);
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      for (int n = 0; n < count; n++) {
        long due = start + Math.round(n * 1e9 / LOW_RATE);
        sleepUntil(due);
        int from = random.nextInt(USERS);
        int to = random.nextInt(USERS - 1);
        if (to >= from) to++;
        int idx = n;
        Content content = Content.newBuilder().setText("baseline " + run + " " + n).build();
        clients.get(from).send("base-" + run + "-" + n, users.get(to), content).whenComplete((ack, err) -> {
          if (err == null) latency[idx] = (System.nanoTime() - due) / 1000;
          done.countDown();
        });
      }
      done.await(60, TimeUnit.SECONDS);
      long[] sorted = latency.clone();
      java.util.Arrays.sort(sorted);
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
    }

    void run() {
      schedule = StepSchedule.of(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), HIGH_RATE, HIGH_SECONDS,
          LOW_RATE, LOW_SECONDS);
      int total = (int) schedule.total();
      ledger = new DeliveryLedger(total);
      ackedAt = new AtomicLongArray(total);
      SplittableRandom random = new SplittableRandom(42);
      for (int n = 0; n < total; n++) {
        long due = schedule.dueNanos(n);
        sleepUntil(due);
        maxSendLagNanos.accumulateAndGet(System.nanoTime() - due, Math::max);
        int from = random.nextInt(USERS);
        int to = random.nextInt(USERS - 1);
        if (to >= from) to++;
        int idx = n;
        ledger.sent(idx, to);
        Content content = Content.newBuilder().setText(ids.text(n, 100)).build();
        clients.get(from).send(ids.id(n), users.get(to), content).whenComplete((ack, err) -> {
          long t = System.nanoTime();
          if (err == null) {
            if (ledger.acked(idx)) ackedAt.set(idx, t);
          } else {
            ledger.failed(idx);
            Throwable root = err;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            if (root instanceof TimeoutException) timeouts.increment();
            else failures.computeIfAbsent(describe(root), k -> new LongAdder()).increment();
          }
          completed.increment();
        });
      }
    }

    private static String describe(Throwable t) {
      if (t instanceof ServerErrorException e) return "server " + e.getMessage();
      return t.getClass().getSimpleName();
    }

    /** Until every send completed and every acked message was delivered, or {@link #DRAIN} passed. */
    void drain() throws InterruptedException {
      long deadline = System.nanoTime() + DRAIN.toNanos();
      while (System.nanoTime() < deadline) {
        if (completed.sum() >= schedule.total() && allAckedDelivered()) return;
        Thread.sleep(200);
      }
    }

    private boolean allAckedDelivered() {
      for (int n = 0; n < schedule.total(); n++) {
        if (ledger.isAcked(n) && ledger.deliveries(n) == 0) return false;
      }
      return true;
    }

    long latencyMicros(int n) {
      long at = ackedAt.get(n);
      return at == 0 ? NOT_ACKED : Math.max(0, at - schedule.dueNanos(n)) / 1000;
    }

    /** p99 send->ack of the messages due at or after {@code fromNanos}; {@link #NOT_ACKED} if over 1% were never acked. */
    long p99MicrosFrom(long fromNanos) {
      return percentile(from(schedule.firstDueAtOrAfter(fromNanos), schedule.total()), 0.99);
    }

    private long[] from(long first, long end) {
      long[] l = new long[(int) (end - first)];
      for (long n = first; n < end; n++) l[(int) (n - first)] = latencyMicros((int) n);
      return l;
    }

    private static long percentile(long[] latencies, double q) {
      if (latencies.length == 0) return 0;
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    }

    /** A client that was not part of the load connects and gets a message acked. */
    void roundTripOfANewClient() throws Exception {
      String alice = "ovl" + run + "-late-alice";
      try (TestDevice late = new TestDevice(alice, "phone", port).connect()) {
        var ack = late.client.send("late-1", "ovl" + run + "-late-bob", Envelopes.text("still serving?"))
            .get(20, TimeUnit.SECONDS);
        assertEquals(1, ack.getSeq());
      }
    }

    String summary() {
      StringBuilder b = new StringBuilder("overload run " + run + ": " + USERS + " users, " + schedule.highCount()
          + " msgs at " + HIGH_RATE + "/s, then " + schedule.lowCount() + " at " + LOW_RATE + "/s\n");
      DeliveryLedger.Check c = ledger.check((int) schedule.total());
      b.append(String.format("  acked %d, failed %d (timeouts %d, other %s), unacked at end %d; delivered once %d,"
              + " missing %d, duplicates %d, misrouted %d; server errors seen %s; disconnects %d; max send lag %d ms%n",
          c.acked(), c.failed(), timeouts.sum(), sums(failures), c.unackedAtEnd(), c.deliveredOnce(), c.missing(),
          c.duplicateDeliveries(), c.misrouted(), sums(serverErrors), disconnects.sum(),
          maxSendLagNanos.get() / 1_000_000));
      long drop = schedule.dropNanos();
      b.append("  per 5 s window of scheduled time (acked/sent, p50, p99, max send->ack; unacked count as late):\n");
      for (long w = schedule.startNanos(); w < schedule.endNanos(); w += TimeUnit.SECONDS.toNanos(5)) {
        long first = schedule.firstDueAtOrAfter(w);
        long end = schedule.firstDueAtOrAfter(w + TimeUnit.SECONDS.toNanos(5));
        long[] l = from(first, end);
        long acked = Arrays.stream(l).filter(x -> x != NOT_ACKED).count();
        b.append(String.format("    t=%5.1fs%s %6d/%-6d p50 %s p99 %s max %s%n", (w - drop) / 1e9,
            w < drop ? " (high)" : " (low) ", acked, l.length, ms(percentile(l, 0.5)), ms(percentile(l, 0.99)),
            ms(percentile(l, 1.0))));
      }
      return b.toString();
    }

    private static String ms(long micros) {
      return micros == NOT_ACKED ? "   never" : String.format("%6d ms", micros / 1000);
    }

    private static Map<String, Long> sums(Map<String, LongAdder> m) {
      Map<String, Long> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(k, v.sum()));
      return out;
    }

    @Override
    public void close() throws InterruptedException {
      for (InsyncClient c : clients) c.close();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private static void sleepUntil(long deadline) {
      for (long left; (left = deadline - System.nanoTime()) > 0; ) LockSupport.parkNanos(left);
    }

    /** One user's callbacks, on the event loop: record and return. */
    private final class Listener implements ClientListener {
      private final int me;
      private final String user;

      Listener(int me, String user) {
        this.me = me;
        this.user = user;
      }

      @Override
      public void onItems(List<Item> items) {
        long t = System.nanoTime();
        for (Item item : items) {
          if (user.equals(item.getFrom())) continue; // the sender's own copy
          long n = ids.parse(item.getContent().getText());
          if (n >= 0 && ledger != null) ledger.delivered((int) n, me, t);
        }
      }

      @Override
      public void onError(Error error) {
        serverErrors.computeIfAbsent(error.getCode().name(), k -> new LongAdder()).increment();
      }

      @Override
      public void onDisconnected(Throwable cause) {
        disconnects.increment();
      }
    }
  }
}
