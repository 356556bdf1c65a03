package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Markdown and JSON files of a run: structure and numbers; and the scenario parsing. */
class BenchResultsTest {
  static final BenchResults.Header HEADER = new BenchResults.Header("one-to-one",
      "bin/insync bench one-to-one --rates 500,1000", "abc1234", Instant.parse("2026-12-02T07:08:09Z"),
      new BenchResults.Machine(2, "AMD EPYC 7B13", "OpenJDK 64-Bit Server VM 17.0.15"), "1000 users");

  static LoadReport report(double rate, long delivered, double nodeCpuSeconds) {
    Histogram ack = new Histogram(3);
    Histogram del = new Histogram(3);
    for (int i = 1; i <= 1000; i++) {
      ack.recordValue(i);         // 1 .. 1,000 µs (exact in an HdrHistogram of 3 digits)
      del.recordValue(i * 2L);    // 2 .. 2,000 µs
    }
    DeliveryLedger l = new DeliveryLedger(1);
    l.sent(0, 1);
    l.acked(0);
    l.delivered(0, 1, 1);
    List<CpuMeter.CpuUse> cpu = List.of(new CpuMeter.CpuUse("node", 101, nodeCpuSeconds, 10),
        new CpuMeter.CpuUse("cassandra", 102, 5, 10), new CpuMeter.CpuUse("bench", 103, 2, 10));
    return new LoadReport("r1", "127.0.0.1:7400", 1000, rate, 5, 10, 100, (long) rate * 10, delivered, delivered,
        ack, del, 0, 0, 0, Map.of("UNAVAILABLE", 7L, "RATE_LIMITED", 12_345L), 0, l.check(1), Map.of("node", 100 * nodeCpuSeconds / 10), cpu, -1);
  }

  @Test
  void journalWritesPerDeliveredMessage() {
    LoadReport base = report(500, 5000, 10);
    LoadReport measured = new LoadReport(base.run(), base.server(), base.users(), base.targetRate(), base.warmupSeconds(),
        base.measuredSeconds(), base.payloadBytes(), base.sentInWindow(), base.ackedInWindow(),
        base.deliveredInWindow(), base.ackLatencyMicros(), base.deliverLatencyMicros(), 0, 0, 0, Map.of(), 0,
        base.check(), base.cpuPercent(), base.cpuUse(), 17_000);
    assertEquals(3.4, measured.journalWritesPerDelivered(), 1e-9);
    assertEquals("3.40", BenchResults.oneToOne(measured).columns().get("journal writes/msg"));
    assertTrue(measured.toJson().contains("\"journal_writes\":17000"), measured.toJson());
    assertTrue(measured.toTable().contains("journal writes in the measured window: 17000 (3.40 per delivered message)"),
        measured.toTable());
    // not measured (no Cassandra to ask): a dash, and nothing claimed in the table
    assertEquals(-1, base.journalWritesPerDelivered());
    assertEquals("-", BenchResults.oneToOne(base).columns().get("journal writes/msg"));
    assertFalse(base.toTable().contains("journal writes"), base.toTable());
  }

  @Test
  void journalWritesBetweenTwoReadings() {
    assertEquals(120, JournalWrites.between(java.util.OptionalLong.of(1000), java.util.OptionalLong.of(1120)));
    assertEquals(-1, JournalWrites.between(java.util.OptionalLong.empty(), java.util.OptionalLong.of(1120)));
    assertEquals(-1, JournalWrites.between(java.util.OptionalLong.of(1000), java.util.OptionalLong.empty()));
    // the counter went back: Cassandra restarted in between, so the difference means nothing
    assertEquals(-1, JournalWrites.between(java.util.OptionalLong.of(1000), java.util.OptionalLong.of(10)));
  }

  @Test
  void markdownHasHeaderStepsAndCpuPerMessage() {
    List<BenchResults.Step> steps = List.of(BenchResults.oneToOne(report(500, 5000, 10)),
        BenchResults.oneToOne(report(1000, 10000, 15)));
    String md = BenchResults.markdown(HEADER, steps);
    assertTrue(md.startsWith("# insync bench: one-to-one\n"), md);
    assertTrue(md.contains("| command | `bin/insync bench one-to-one --rates 500,1000` |"), md);
    assertTrue(md.contains("| commit | abc1234 |"), md);
    assertTrue(md.contains("| date | 2026-12-02T07:08:09Z |"), md);
    assertTrue(md.contains("| machine | 2 cores, AMD EPYC 7B13; OpenJDK 64-Bit Server VM 17.0.15 |"), md);
    // the results table: a header, a separator, one row per step, every row with as many cells as the header
    List<String> table = md.lines().filter(l -> l.startsWith("| step |") || l.startsWith("| 500/s") || l.startsWith("| 1,000/s")).toList();
    assertEquals(6, table.size(), md); // two headers (results, CPU) and two steps in each table
    String resultsHeader = md.lines().filter(l -> l.startsWith("| step | target/s")).findFirst().orElseThrow();
    long cols = resultsHeader.chars().filter(c -> c == '|').count();
    String row500 = md.lines().filter(l -> l.startsWith("| 500/s | 500 |")).findFirst().orElseThrow();
    assertEquals(cols, row500.chars().filter(c -> c == '|').count(), row500);
    assertTrue(row500.contains("| 500 | 500 | 500 | 500 |"), row500); // target, sent, acked, delivered per second
    // p50 / p90 / p99 / p99.9 / max (ms) of 1..1,000 µs and of 2..2,000 µs
    assertTrue(row500.contains("| 0.50 / 0.90 / 0.99 / 1.00 / 1.00 |"), row500);
    assertTrue(row500.contains("| 1.00 / 1.80 / 1.98 / 2.00 / 2.00 |"), row500);
    assertTrue(row500.contains("| RATE_LIMITED 12,345, UNAVAILABLE 7 |"), row500);
    assertTrue(row500.contains("| yes (1 sent) |"), row500);
    // CPU: 10 s of node CPU in a 10 s window = 100 %; 10 s / 5,000 delivered = 2,000 µs; 5 s -> 1,000; 2 s -> 400
    assertTrue(md.contains("## CPU during the measured window"), md);
    assertTrue(md.contains("this machine has 200 %"), md);
    assertTrue(md.contains("µs of CPU per delivered message"), md);
    assertTrue(md.contains("node pid 101, cassandra pid 102, bench pid 103"), md);
    assertTrue(md.contains("| step | node % core | node µs/msg | cassandra % core | cassandra µs/msg | bench % core | bench µs/msg | all µs/msg |"), md);
    assertTrue(md.contains("| 500/s | 100 | 2,000 | 50 | 1,000 | 20 | 400 | 3,400 |"), md);
    // 15 s / 10,000 = 1,500 µs; 5 s / 10,000 = 500; 2 s / 10,000 = 200
    assertTrue(md.contains("| 1,000/s | 150 | 1,500 | 50 | 500 | 20 | 200 | 2,200 |"), md);
  }

  @Test
  void jsonHasTheSameFigures() {
    List<BenchResults.Step> steps = List.of(BenchResults.oneToOne(report(500, 5000, 10)));
    String json = BenchResults.json(HEADER, steps);
    assertEquals(-1, json.indexOf('\n'));
    for (String key : new String[] {"\"scenario\":\"one-to-one\"", "\"command\":\"bin/insync bench one-to-one --rates 500,1000\"",
        "\"commit\":\"abc1234\"", "\"date\":\"2026-12-02T07:08:09Z\"",
        "\"machine\":{\"cores\":2,\"cpu_model\":\"AMD EPYC 7B13\",\"jdk\":\"OpenJDK 64-Bit Server VM 17.0.15\"}",
        "\"steps\":[{\"label\":\"500/s\",\"messages\":5000,\"per\":\"delivered message\",\"result\":{\"mode\":\"load\"",
        "\"send_to_ack\":{\"count\":1000,\"p50_ms\":0.500,\"p90_ms\":0.900,\"p99_ms\":0.990,\"p999_ms\":0.999,\"max_ms\":1.000",
        "\"node\":{\"pid\":101,\"cpu_s\":10.000,\"window_s\":10.000,\"percent_of_core\":100.000,\"us_per_message\":2000.000}",
        "\"bench\":{\"pid\":103,\"cpu_s\":2.000,\"window_s\":10.000,\"percent_of_core\":20.000,\"us_per_message\":400.000}"}) {
      assertTrue(json.contains(key), key + " in " + json);
    }
    assertEquals(json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
    assertEquals(json.chars().filter(c -> c == '[').count(), json.chars().filter(c -> c == ']').count());
    assertTrue(json.endsWith("}]}"), json);
  }

  @Test
  void baselineAndIdleSteps() {
    CassandraBaseline.Settings s = new CassandraBaseline.Settings(new java.net.InetSocketAddress("127.0.0.1", 9042),
        "dc1", Duration.ofSeconds(20), Duration.ofSeconds(5), 64, 1000, 200);
    CassandraBaseline.Report b = new CassandraBaseline.Report(400_000, 20_000, 2.5, 10.25, 40, 0, s,
        List.of(new CpuMeter.CpuUse("cassandra", 5, 20, 20), new CpuMeter.CpuUse("bench", 6, 8, 20)));
    String md = BenchResults.markdown(new BenchResults.Header("cassandra-baseline", "bin/insync bench cassandra-baseline",
        "unknown", Instant.EPOCH, HEADER.machine(), "x"), List.of(BenchResults.cassandraBaseline(b)));
    assertTrue(md.contains("| raw inserts | 64 | 20,000 | 2.50 | 10.25 | 40.0 | 0 |"), md);
    assertTrue(md.contains("µs of CPU per insert"), md);
    assertTrue(md.contains("| raw inserts | 100 | 50 | 40 | 20 | 70 |"), md); // 20 s / 400,000 = 50 µs; 8 s -> 20

    // 100 connections: +4,096 heap, +3,000 live objects, +12,000 RSS bytes each; 200 heartbeats in a 60 s window
    // (30 s interval) cost 28 ms more than the idle window: 140 µs each
    IdleBench.NodeFigures node = new IdleBench.NodeFigures(9, 7400, 10L << 20, (10L << 20) + 100 * 4096, 10L << 20,
        100L << 20, (100L << 20) + 100 * 12_000, 100, 128, 5L << 20, (5L << 20) + 100 * 3000, 0);
    IdleBench.Report r = new IdleBench.Report(100, 100, 1, 1.5, 30, 60, 30, List.of(node));
    String idle = BenchResults.markdown(new BenchResults.Header("idle", "bin/insync bench idle", "unknown",
        Instant.EPOCH, HEADER.machine(), "x"), List.of(BenchResults.idle(r, List.of(new CpuMeter.CpuUse("node", 9, 3, 30)))));
    assertTrue(idle.contains("| 100 idle | 100 of 100 | 1 | 4,096 | 3,000 | 12,000 | 140 | 1.5 | 30 |"), idle);
    assertTrue(idle.contains("| step | node % core |\n"), "no per-message columns without messages: " + idle);
    assertTrue(idle.contains("| 100 idle | 10 |"), idle);
    assertTrue(idle.contains("## CPU during the whole run"), idle);
    assertTrue(md.contains("## CPU during the measured window"), md);
  }

  @Test
  void writesBothFilesNamedByDateAndScenario(@TempDir Path dir) throws Exception {
    BenchResults.Written w = BenchResults.write(dir.resolve("bench-results"), HEADER,
        List.of(BenchResults.oneToOne(report(500, 5000, 10))));
    assertEquals("20261202-070809-one-to-one.md", w.markdown().getFileName().toString());
    assertEquals("20261202-070809-one-to-one.json", w.json().getFileName().toString());
    assertEquals(BenchResults.markdown(HEADER, List.of(BenchResults.oneToOne(report(500, 5000, 10)))),
        Files.readString(w.markdown()));
    assertTrue(Files.readString(w.json()).startsWith("{\"scenario\":\"one-to-one\""));
  }

  @Test
  void anEmptyRunStillSaysWhatRan() {
    String md = BenchResults.markdown(HEADER, List.of());
    assertTrue(md.contains("| commit | abc1234 |") && md.contains("No step finished."), md);
    assertTrue(BenchResults.json(HEADER, List.of()).contains("\"steps\":[]"));
  }

  @Test
  void aGroupStepShowsTheLastMembersLatencyAndTheSameRunBaseline() {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= 100; i++) h.recordValue(i * 1000L); // 1 .. 100 ms
    CassandraBaseline.Report baseline = new CassandraBaseline.Report(300_000, 20_000, 1.2, 12.5, 40, 0,
        new CassandraBaseline.Settings(null, "dc1", java.time.Duration.ofSeconds(15), java.time.Duration.ofSeconds(5), 64,
            1000, 200), List.of());
    GroupReport r = new GroupReport("g1", "127.0.0.1:7400", 500, 1, 20, 10, 30, 100, 600, 600, 600, h, h, h, h, 0, 0, 0,
        java.util.Map.of(), 0, new GroupReport.Check(800, 800, 0, 0, 800, 0, 0, 400_000, 3), java.util.Map.of(),
        List.of(), 330_000, null).withBaseline(baseline);
    BenchResults.Step step = BenchResults.group(r);
    assertEquals("20.0/s", step.label());
    assertEquals("50.0 / 99.0 / 100", step.columns().get("send→last member's notify p50 / p99 / max (ms)"));
    assertEquals("550.0", step.columns().get("journal writes/post"));
    assertEquals("20,000", step.columns().get("raw Cassandra inserts/s (same run)"));
    assertEquals("yes (800 posts)", step.columns().get("every member once"));
    assertTrue(r.toJson().contains("\"send_to_last_notify\":{\"count\":100,\"p50_ms\":50.0"), r.toJson());
    assertTrue(r.toJson().contains("\"cassandra_baseline\":{\"mode\":\"cassandra-baseline\""), r.toJson());
    assertTrue(r.toTable().contains("send -> LAST member's notify"), r.toTable());
  }

  @Test
  void scenarios() {
    assertEquals(BenchScenario.ONE_TO_ONE, BenchScenario.parse("one-to-one"));
    assertEquals(BenchScenario.CASSANDRA_BASELINE, BenchScenario.parse("cassandra-baseline"));
    assertEquals(BenchScenario.IDLE, BenchScenario.parse("IDLE"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchScenario.parse("group-chat"));
    assertEquals(BenchScenario.GROUP, BenchScenario.parse("group"));
    assertEquals("unknown bench scenario 'group-chat'; known scenarios: one-to-one, group, cassandra-baseline, idle",
        e.getMessage());
  }

  @Test
  void rates() {
    assertEquals(List.of(1000.0, 2000.0, 4000.0, 6000.0), BenchScenario.parseRates("1000,2000, 4000,6_000"));
    assertEquals(List.of(0.5), BenchScenario.parseRates("0.5"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchScenario.parseRates("1000,,2000"))
        .getMessage().contains("empty entry"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchScenario.parseRates("1000,fast"))
        .getMessage().contains("'fast' is not a number"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchScenario.parseRates("0"))
        .getMessage().contains("must be positive"));
    assertThrows(IllegalArgumentException.class, () -> BenchScenario.parseRates("1,".repeat(21) + "1"));
  }
}
