package io.insync.ops.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.management.MiniJson;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console's figures of one metrics tick, and how a node's latest point travels. */
class NodeStatsTest {
  private static MetricTick.Series counter(String name, String result, double v) {
    return new MetricTick.Series(name, Map.of("result", result), v);
  }

  @Test
  void ratesArePerSecondOfTheTickAndLatenciesAreItsPercentilesInMs() {
    // 100 sends over 5 s, 10 of them refused; latencies: 90 at 10 ms, 9 at 50 ms, 1 at 400 ms
    MetricTick tick = new MetricTick(0, 5000,
        List.of(counter("insync.sends", "ok", 90), counter("insync.sends", "UNAVAILABLE", 10),
            counter("insync.syncs", "ok", 25)),
        List.of(),
        List.of(new MetricTick.Dist("insync.send.latency", Map.of(), new double[] {0.010, 0.050, 0.400},
            new long[] {90, 9, 1})));
    NodeStats.Point p = NodeStats.point(tick);
    assertEquals(5000, p.at());
    assertEquals(20.0, p.sendsPerSecond(), 1e-9);
    assertEquals(2.0, p.sendErrorsPerSecond(), 1e-9);
    assertEquals(5.0, p.syncsPerSecond(), 1e-9);
    assertEquals(10.0, p.sendP50Ms(), 1e-9);
    assertEquals(50.0, p.sendP99Ms(), 1e-9);
    assertTrue(Double.isNaN(p.notifyP99Ms()), "nothing measured: no figure, not 0");
    assertEquals(p, NodeStats.Point.decode(p.encode()));
  }

  @Test
  void theStatsAnswerSumsTheRatesAndTakesTheWorstP99() {
    String json = io.insync.ops.management.InsyncRoutes.statsJson(List.of(
        new NodeStats.NodePoint("pekko://insync@127.0.0.1:25520", new NodeStats.Point(1000, 10, 1, 2, 5, 40, Double.NaN)),
        new NodeStats.NodePoint("pekko://insync@127.0.0.1:25521", new NodeStats.Point(1000, 5, 0, 1, 8, 90, 12))), 5000);
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) MiniJson.parse(json);
    assertEquals(true, m.get("metrics"));
    @SuppressWarnings("unchecked")
    Map<String, Object> cluster = (Map<String, Object>) m.get("cluster");
    assertEquals(15.0, ((Number) cluster.get("sends_per_s")).doubleValue(), 1e-9);
    assertEquals(90.0, ((Number) cluster.get("send_p99_ms")).doubleValue(), 1e-9);
    assertTrue(json.contains("\"notify_p99_ms\":null"), json);
  }
}
