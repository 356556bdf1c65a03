package io.insync.persistence.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;

/**
 * insync's own metrics: every name in one place (docs/monitoring.md lists them as Prometheus shows
 * them), recorded through Kamon. Call sites say what happened ({@link #sendAnswered}, {@link
 * #journalWrite}); this class knows the instruments and tags. Without {@code Kamon.init} in the process
 * (unit tests) the instruments still count, in memory only; the node starts Kamon and its Prometheus
 * endpoint ({@code io.insync.ops.metrics.NodeMetrics}).
 *
 * <p>Kamon's Prometheus reporter adds {@code _total} to counters and the unit to histograms: {@code
 * insync.sends} is scraped as {@code insync_sends_total}, {@code insync.send.latency} as {@code
 * insync_send_latency_seconds_bucket/_sum/_count}. {@link Names} holds both spellings.
 */
public final class InsyncMetrics {
  private InsyncMetrics() {}

  /** The metric names: Kamon's (dotted) and the Prometheus series derived from them. */
  public static final class Names {
    private Names() {}

    public static final String CONNECTIONS = "insync.connections";
    public static final String CONNECTIONS_OPENED = "insync.connections.opened";
    public static final String AUTH = "insync.auth";
    public static final String REQUESTS = "insync.requests";
    public static final String SENDS = "insync.sends";
    public static final String SYNCS = "insync.syncs";
    public static final String ACKS = "insync.acks";
    public static final String ERRORS = "insync.errors";
    public static final String SEND_LATENCY = "insync.send.latency";
    public static final String NOTIFY_LATENCY = "insync.notify.latency";
    public static final String FANOUT_LAG = "insync.fanout.lag";
    public static final String DEDUP_HITS = "insync.dedup.hits";
    public static final String JOURNAL_WRITE_LATENCY = "insync.journal.write.latency";
    public static final String JOURNAL_READ_LATENCY = "insync.journal.read.latency";
    public static final String JOURNAL_FAILURES = "insync.journal.failures";
    public static final String PENDING_DELIVERIES = "insync.pending.deliveries";
    public static final String ENTITY_RECOVERIES = "insync.entity.recoveries";
    public static final String UNREACHABLE_MEMBERS = "insync.cluster.unreachable.members";
    /** Requests and Error answers per flag segment (tag {@code segment} = {@code FLAG:on} / {@code FLAG:off}). */
    public static final String FLAG_REQUESTS = "insync.flag.requests";
    public static final String FLAG_ERRORS = "insync.flag.errors";

    /** {@code insync.sends} → {@code insync_sends} (the base of the Prometheus series). */
    public static String prometheus(String kamonName) {
      return kamonName.replace('.', '_');
    }
  }

  // ------------------------------------------------------------------ instruments

  private static final MeasurementUnit NANOS = MeasurementUnit.time().nanoseconds();
  private static final MeasurementUnit MILLIS = MeasurementUnit.time().milliseconds();

  private static final AtomicLong TCP_OPEN = new AtomicLong();
  private static final AtomicLong WS_OPEN = new AtomicLong();
  private static final AtomicLong PENDING = new AtomicLong();

  private static Counter counter(String name, String description) {
    return Kamon.counter(name, description).withoutTags();
  }

  /** A counter with one tag, its instruments kept per tag value (the hot path looks them up, never builds them). */
  private static final class Tagged {
    private final String name;
    private final String tag;
    private final ConcurrentHashMap<String, Counter> byValue = new ConcurrentHashMap<>();

    Tagged(String name, String tag) {
      this.name = name;
      this.tag = tag;
    }

    void increment(String value) {
      byValue.computeIfAbsent(value, v -> Kamon.counter(name).withTag(tag, v)).increment();
    }
  }

  private static final Tagged OPENED = new Tagged(Names.CONNECTIONS_OPENED, "transport");
  private static final Tagged AUTHS = new Tagged(Names.AUTH, "result");
  private static final Tagged REQUESTS = new Tagged(Names.REQUESTS, "command");
  private static final Tagged SENDS = new Tagged(Names.SENDS, "result");
  private static final Tagged SYNCS = new Tagged(Names.SYNCS, "result");
  private static final Tagged ACKS = new Tagged(Names.ACKS, "result");
  private static final Tagged ERRORS = new Tagged(Names.ERRORS, "code");
  private static final Tagged JOURNAL_FAILURES = new Tagged(Names.JOURNAL_FAILURES, "op");
  private static final Tagged FLAG_REQUESTS = new Tagged(Names.FLAG_REQUESTS, "segment");
  private static final Tagged FLAG_ERRORS = new Tagged(Names.FLAG_ERRORS, "segment");

  private static Histogram histogram(String name, String description, MeasurementUnit unit) {
    return Kamon.histogram(name, description, unit).withoutTags();
  }

  private static final Histogram SEND_LATENCY = histogram(Names.SEND_LATENCY,
      "gateway: a Send frame's arrival to its SendResult (durable in both inboxes) or Error", NANOS);
  private static final Histogram NOTIFY_LATENCY = histogram(Names.NOTIFY_LATENCY,
      "recipient entity: the sender's accept time of the newest item to its Notify to the online devices", MILLIS);
  private static final Histogram FANOUT_LAG = histogram(Names.FANOUT_LAG,
      "group entity: a post's acceptance to its delivery confirmed by one batch of members", MILLIS);
  private static final Histogram JOURNAL_WRITE = histogram(Names.JOURNAL_WRITE_LATENCY,
      "journal: one atomic write batch (asyncWriteMessages) to Cassandra", NANOS);
  private static final Histogram JOURNAL_READ = histogram(Names.JOURNAL_READ_LATENCY,
      "journal: one replay (recovery read) from Cassandra", NANOS);
  private static final Counter DEDUP = counter(Names.DEDUP_HITS,
      "sends (and deliveries) recognised as repeats of one already stored");
  private static final Gauge PENDING_GAUGE = Kamon.gauge(Names.PENDING_DELIVERIES,
      "items stored in senders' inboxes on this node not yet confirmed by their recipients").withoutTags();
  private static final Gauge UNREACHABLE = Kamon.gauge(Names.UNREACHABLE_MEMBERS,
      "cluster members this node sees as unreachable").withoutTags();

  // ------------------------------------------------------------------ gateway

  /** A client connection opened ({@code websocket} true: after its upgrade). */
  public static void connectionOpened(boolean websocket) {
    String t = transport(websocket);
    OPENED.increment(t);
    Kamon.gauge(Names.CONNECTIONS).withTag("transport", t).update((websocket ? WS_OPEN : TCP_OPEN).incrementAndGet());
  }

  public static void connectionClosed(boolean websocket) {
    Kamon.gauge(Names.CONNECTIONS).withTag("transport", transport(websocket))
        .update(Math.max(0, (websocket ? WS_OPEN : TCP_OPEN).decrementAndGet()));
  }

  private static String transport(boolean websocket) {
    return websocket ? "websocket" : "tcp";
  }

  /** An Auth's outcome: {@code ok} or the error code's name. */
  public static void auth(String result) {
    AUTHS.increment(result);
  }

  /** A client request received after auth, by command ({@code send}, {@code sync}, {@code ack}, …). */
  public static void request(String command) {
    REQUESTS.increment(command);
  }

  /** A Send answered: {@code ok} or the error code's name, and how long it took at the gateway. */
  public static void sendAnswered(String result, long nanos) {
    SENDS.increment(result);
    SEND_LATENCY.record(Math.max(0, nanos));
  }

  /** A Sync answered: {@code ok} or the error code's name. */
  public static void syncAnswered(String result) {
    SYNCS.increment(result);
  }

  /** An Ack applied by a user entity ({@code ok}) or ignored ({@code stale}). */
  public static void ack(String result) {
    ACKS.increment(result);
  }

  /** An Error frame sent to a client, by its code (every one, whatever caused it). */
  public static void error(String code) {
    ERRORS.increment(code);
  }

  /**
   * A request of a user whose segments are {@code segments} (one {@code FLAG:on}/{@code FLAG:off} per flag with
   * guards, so the series are two per guarded flag, bounded by {@code insync.flags.max-flags}).
   */
  public static void flagRequest(String[] segments) {
    for (String s : segments) FLAG_REQUESTS.increment(s);
  }

  /** An Error answered to a user whose segments are {@code segments}. */
  public static void flagError(String[] segments) {
    for (String s : segments) FLAG_ERRORS.increment(s);
  }

  // ------------------------------------------------------------------ entities

  public static void notified(long acceptedAtMillis) {
    NOTIFY_LATENCY.record(Math.max(0, System.currentTimeMillis() - acceptedAtMillis));
  }

  public static void fanOut(long acceptedAtMillis) {
    FANOUT_LAG.record(Math.max(0, System.currentTimeMillis() - acceptedAtMillis));
  }

  public static void dedupHit() {
    DEDUP.increment();
  }

  /**
   * An entity's pending deliveries changed from {@code before} to {@code now} (it keeps what it last
   * reported; a stopping entity reports {@code now = 0}): the node's gauge follows the sum.
   */
  public static void pending(long before, long now) {
    if (before == now) return;
    PENDING_GAUGE.update(Math.max(0, PENDING.addAndGet(now - before)));
  }

  /** An entity recovered ({@code type} user or group; {@code result} ok or failed). */
  public static void recovered(String type, String result) {
    Kamon.counter(Names.ENTITY_RECOVERIES).withTags(kamon.tag.TagSet.of("type", type).withTag("result", result)).increment();
  }

  // ------------------------------------------------------------------ journal and cluster

  public static void journalWrite(long nanos, boolean ok) {
    JOURNAL_WRITE.record(Math.max(0, nanos));
    if (!ok) JOURNAL_FAILURES.increment("write");
  }

  public static void journalRead(long nanos, boolean ok) {
    JOURNAL_READ.record(Math.max(0, nanos));
    if (!ok) JOURNAL_FAILURES.increment("read");
  }

  public static void unreachableMembers(int n) {
    UNREACHABLE.update(n);
  }
}
