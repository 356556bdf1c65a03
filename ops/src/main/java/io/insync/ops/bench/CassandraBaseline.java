package io.insync.ops.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * The baseline a load run is compared with: raw Cassandra inserts of journal-shaped rows
 * (partition = one of {@code partitions} ids, clustering = a growing sequence number, a blob the
 * size of a stored message event), written with the async driver, {@code inFlight} at a time,
 * into a keyspace of its own ({@code insync_bench}, dropped first), on the same Cassandra the node
 * uses. Measured on the same machine in the same hour as a load run, it says how much of the
 * machine's write capacity the node's per-message path uses, whatever the machine's speed that day.
 */
public final class CassandraBaseline {

  public record Settings(InetSocketAddress cassandra, String datacenter, Duration duration, Duration warmup,
      int inFlight, int partitions, int blobBytes) {}

  /** @param cpu CPU of the processes given to {@link #run(CpuMeter)} over the measured window (empty if none) */
  public record Report(long inserts, double insertsPerSecond, double p50Ms, double p99Ms, double maxMs,
      long errors, Settings settings, List<CpuMeter.CpuUse> cpu) {
    public Report {
      cpu = List.copyOf(cpu);
    }

    public String toJson() {
      return new JsonOut()
          .put("mode", "cassandra-baseline")
          .put("inserts", inserts)
          .put("inserts_per_second", insertsPerSecond)
          .put("latency_ms", new JsonOut().put("p50", p50Ms).put("p99", p99Ms).put("max", maxMs))
          .put("errors", errors)
          .put("in_flight", settings.inFlight())
          .put("partitions", settings.partitions())
          .put("blob_bytes", settings.blobBytes())
          .put("duration_s", settings.duration().toMillis() / 1000.0)
          .toString();
    }

    public String toTable() {
      return String.format(java.util.Locale.ROOT,
          "raw Cassandra inserts (journal-shaped rows, %d B blob, %d in flight, %d partitions)%n"
              + "  inserts/s   %,.0f%n  latency ms  p50 %.2f  p99 %.2f  max %.1f%n  errors      %d%n",
          settings.blobBytes(), settings.inFlight(), settings.partitions(), insertsPerSecond, p50Ms, p99Ms,
          maxMs, errors);
    }
  }

  private final Settings s;
  private final PrintStream log;

  public CassandraBaseline(Settings settings, PrintStream log) {
    this.s = settings;
    this.log = log;
  }

  public Report run() throws InterruptedException {
    return run(null);
  }

  /** Runs, and measures the CPU of {@code cpu}'s processes over the measured window (if not null). */
  public Report run(CpuMeter cpu) throws InterruptedException {
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withStringList(DefaultDriverOption.CONTACT_POINTS,
            List.of(s.cassandra().getHostString() + ":" + s.cassandra().getPort()))
        .withString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, s.datacenter())
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
        .build();
    try (CqlSession session = CqlSession.builder().withConfigLoader(config).build()) {
      session.execute("DROP KEYSPACE IF EXISTS insync_bench");
      session.execute("CREATE KEYSPACE insync_bench WITH replication = "
          + "{'class': 'NetworkTopologyStrategy', '" + s.datacenter() + "': 1}");
      session.execute("CREATE TABLE insync_bench.journal_like (persistence_id text, partition_nr bigint, "
          + "sequence_nr bigint, writer_uuid text, ser_id int, ser_manifest text, event blob, "
          + "PRIMARY KEY ((persistence_id, partition_nr), sequence_nr))");
      PreparedStatement insert = session.prepare("INSERT INTO insync_bench.journal_like (persistence_id, "
          + "partition_nr, sequence_nr, writer_uuid, ser_id, ser_manifest, event) VALUES (?, 0, ?, ?, 7301, 'MR1', ?)");
      ByteBuffer blob = ByteBuffer.allocate(s.blobBytes());
      for (int i = 0; i < s.blobBytes(); i++) blob.put(i, (byte) ('a' + i % 26));
      String writer = java.util.UUID.randomUUID().toString();
      Semaphore permits = new Semaphore(s.inFlight());
      Recorder latencies = new Recorder(3);
      AtomicLong errors = new AtomicLong();
      AtomicLong counted = new AtomicLong();
      log.printf("cassandra baseline: %s warm-up, then %s measured, %d in flight%n", s.warmup(), s.duration(),
          s.inFlight());
      long start = System.nanoTime();
      long measureFrom = start + s.warmup().toNanos();
      long end = measureFrom + s.duration().toNanos();
      boolean measuring = false;
      for (long n = 0; System.nanoTime() < end; n++) {
        permits.acquire();
        long t0 = System.nanoTime();
        if (!measuring && t0 >= measureFrom) {
          measuring = true;
          latencies.getIntervalHistogram(); // drop the warm-up's
          if (cpu != null) cpu.start();
        }
        boolean count = measuring;
        session.executeAsync(insert.bind("bench|u" + (n % s.partitions()), n, writer, blob.duplicate()))
            .whenComplete((rs, err) -> {
              long t1 = System.nanoTime();
              permits.release();
              if (err != null) {
                errors.incrementAndGet();
              } else if (count && t1 <= end) {
                latencies.recordValue(Math.max(1, (t1 - t0) / 1000));
                counted.incrementAndGet();
              }
            });
      }
      List<CpuMeter.CpuUse> used = cpu != null && measuring ? cpu.stop() : List.of();
      permits.acquire(s.inFlight());
      var h = latencies.getIntervalHistogram();
      double seconds = s.duration().toNanos() / 1e9;
      session.execute("DROP KEYSPACE IF EXISTS insync_bench");
      return new Report(counted.get(), counted.get() / seconds, h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, errors.get(), s, used);
    }
  }
}
