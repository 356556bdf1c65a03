package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** Message ids, the report's JSON shape, and the parsers of jcmd/ss/proc output. */
class BenchPartsTest {

  @Test
  void messageIdsRoundTripThroughTheText() {
    MessageIds ids = new MessageIds("k3x9");
    assertEquals("bk3x9-42", ids.id(42));
    String t = ids.text(42, 100);
    assertEquals(100, t.length());
    assertTrue(t.startsWith("bk3x9-42 "));
    assertEquals(42, ids.parse(t));
    assertEquals(7, ids.parse(ids.text(7, 0)));
    assertEquals(-1, ids.parse("bother-42 x"));
    assertEquals(-1, ids.parse("bk3x9-"));
    assertEquals(-1, ids.parse("bk3x9-4a"));
    assertEquals(-1, ids.parse("hello"));
    assertThrows(IllegalArgumentException.class, () -> new MessageIds("a-b"));
  }

  @Test
  void jsonReportHasTheDocumentedShape() {
    Histogram ack = new Histogram(3);
    Histogram del = new Histogram(3);
    for (int i = 1; i <= 100; i++) {
      ack.recordValue(i * 1000L);       // 1..100 ms
      del.recordValue(i * 2000L);
    }
    DeliveryLedger l = new DeliveryLedger(2);
    l.sent(0, 1);
    l.acked(0);
    l.delivered(0, 1, 1);
    l.sent(1, 0);
    l.acked(1);
    Map<String, Long> errs = new LinkedHashMap<>();
    errs.put("UNAVAILABLE", 3L);
    Map<String, Double> cpu = new LinkedHashMap<>();
    cpu.put("node", 150.0);
    LoadReport r = new LoadReport("run1", "127.0.0.1:7400", 1000, 1500, 10, 60, 100, 90_000, 89_940, 89_880,
        ack, del, 0, 2, 1, errs, 1500, l.check(2), cpu);
    String json = r.toJson();
    assertTrue(json.startsWith("{") && json.endsWith("}"));
    assertEquals(-1, json.indexOf('\n'), "one line");
    for (String key : new String[] {"\"mode\":\"load\"", "\"users\":1000", "\"target_rate\":1500.000",
        "\"sent_per_s\":1500.000", "\"acked_per_s\":1499.000", "\"delivered_per_s\":1498.000",
        "\"send_to_ack\":{\"count\":100,\"p50_ms\":", "\"send_to_delivered\":{\"count\":100,",
        "\"send_timeouts\":2", "\"server_errors\":{\"UNAVAILABLE\":3}", "\"cpu_percent\":{\"node\":150.000}",
        "\"missing\":1", "\"duplicate_deliveries\":0", "\"exactly_once\":false"}) {
      assertTrue(json.contains(key), key + " in " + json);
    }
    // balanced braces and quoted keys: a cheap well-formedness check without a JSON library
    long open = json.chars().filter(c -> c == '{').count();
    long close = json.chars().filter(c -> c == '}').count();
    assertEquals(open, close);
    assertTrue(Pattern.compile("\"p99_ms\":(99|100)\\.\\d{3}").matcher(json).find(), json);
    assertTrue(r.toTable().contains("exactly-once check over all 2 messages sent: FAILED"));
  }

  @Test
  void emptyHistogramsBecomeNulls() {
    DeliveryLedger l = new DeliveryLedger(0);
    LoadReport r = new LoadReport("r", "s", 2, 1, 0, 1, 0, 0, 0, 0, new Histogram(3), new Histogram(3), 0, 0, 0,
        Map.of(), 0, l.check(0), Map.of());
    assertTrue(r.toJson().contains("\"send_to_ack\":{\"count\":0,\"p50_ms\":null"), r.toJson());
    assertTrue(r.toJson().contains("\"exactly_once\":true"));
  }

  @Test
  void jsonEscapes() {
    assertEquals("{\"a\\\"b\":\"x\\ny\\u0001\"}", new JsonOut().put("a\"b", "x\ny\u0001").toString());
  }

  @Test
  void parsesHeapInfoOfG1AndParallel() {
    String g1 = """
         garbage-first heap   total 262144K, used 21504K [0x00000000f0000000, 0x0000000100000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
         Metaspace       used 30000K, committed 30500K, reserved 1114112K
          class space    used 3500K, committed 3700K, reserved 1048576K
        """;
    assertEquals(21504L * 1024, JvmProbe.parseHeapUsed(g1));
    String parallel = """
         PSYoungGen      total 76288K, used 1310K [0x...)
          eden space 65536K, 2% used
         ParOldGen       total 175104K, used 10240K [0x...)
         Metaspace       used 3000K, committed 3100K, reserved 1056768K
        """;
    assertEquals((1310L + 10240L) * 1024, JvmProbe.parseHeapUsed(parallel));
    assertThrows(IllegalArgumentException.class, () -> JvmProbe.parseHeapUsed("nothing here"));
  }

  @Test
  void parsesSsAndProcStat() {
    String ss = "LISTEN 0 4096 127.0.0.1:7400 0.0.0.0:* users:((\"java\",pid=12345,fd=187))\n";
    assertEquals(12345, JvmProbe.parseSsPid(ss).getAsLong());
    assertTrue(JvmProbe.parseSsPid("").isEmpty());
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 40 0 100 0 0";
    assertEquals(1234 + 567, JvmProbe.parseStatCpuTicks(stat));
  }
}
