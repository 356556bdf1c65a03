package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdleBenchTest {
  static final InetSocketAddress A = new InetSocketAddress("127.0.0.1", 7400);
  static final InetSocketAddress B = new InetSocketAddress("127.0.0.1", 7410);

  @Test
  void reportArithmeticOverSeveralNodes() {
    long mib = 1L << 20;
    var a = new IdleBench.NodeFigures(1, 7400, 100 * mib, 100 * mib + 5_000L * 2048, 100 * mib,
        300 * mib, 300 * mib + 5_000L * 4096, 600, 1_600, 10 * mib, 10 * mib + 5_000L * 1024, 0);
    var b = new IdleBench.NodeFigures(2, 7410, 50 * mib, 50 * mib + 5_000L * 4096, 50 * mib,
        200 * mib, 200 * mib + 5_000L * 8192, 400, 1_400, 10 * mib, 10 * mib + 5_000L * 1024, 0);
    var r = new IdleBench.Report(10_000, 10_000, 2, 12, 30, 60, 30, List.of(a, b));
    assertEquals(3072.0, r.bytesPerConnection(), 1e-9);
    assertEquals(6144.0, r.rssBytesPerConnection(), 1e-9);
    assertEquals(1024.0, r.liveBytesPerConnection(), 1e-9);
    assertEquals(20_000.0, r.heartbeatsInWindow(), 1e-9); // 10,000 connections x 60 s / 30 s
    // (1,600 + 1,400) - (600 + 400) = 2,000 ms of CPU for 20,000 heartbeats
    assertEquals(100.0, r.cpuMicrosPerHeartbeat(), 1e-9);
    assertTrue(r.toJson().contains("\"bytes_per_connection\":3072.000"), r.toJson());
    assertTrue(r.toJson().contains("\"nodes\":[{\"pid\":1,"), r.toJson());
    assertTrue(r.toTable().contains("heap per idle connection: 3072 bytes (3.00 KiB)"), r.toTable());
  }

  @Test
  void parsesTheHistogramTotal() {
    String h = " num     #instances         #bytes  class name (module)\n   1:  10  400  [B\nTotal        397145       21039792\n";
    assertEquals(21039792L, IdleBench.parseHistogramTotal(h));
    String e = "   7:   3000   216000  io.insync.persistence.user.UserEntity\n   8:  1  32  io.insync.persistence.user.UserEntity$Deps\n";
    assertEquals(3000, IdleBench.parseInstances(e, "io.insync.persistence.user.UserEntity"));
    assertEquals(0, IdleBench.parseInstances(h, "io.insync.persistence.user.UserEntity"));
    assertThrows(IllegalArgumentException.class, () -> IdleBench.parseHistogramTotal("nothing"));
  }

  @Test
  void parsesVmRss() {
    String status = "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100 kB\n";
    assertEquals(123456L * 1024, IdleBench.parseVmRss(status));
    assertThrows(IllegalArgumentException.class, () -> IdleBench.parseVmRss("Name:\tjava\n"));
  }

  @Test
  void eachProcessHasItsOwnLoopbackSourceAddressAndAtMost9500Connections() throws Exception {
    assertEquals("127.0.0.2", IdleBench.sourceAddress(0).getHostAddress());
    assertEquals("127.0.0.17", IdleBench.sourceAddress(15).getHostAddress());
    assertThrows(IllegalArgumentException.class, () -> IdleBench.sourceAddress(16));
    Duration s = Duration.ofSeconds(1);
    new IdleBench.Settings(List.of(A, B), List.of(1L, 2L), 19_000, 2, s, s, s, 10, 1, "x");
    assertThrows(IllegalArgumentException.class,
        () -> new IdleBench.Settings(List.of(A, B), List.of(1L, 2L), 19_001, 2, s, s, s, 10, 1, "x"));
    assertThrows(IllegalArgumentException.class,
        () -> new IdleBench.Settings(List.of(A), List.of(1L, 2L), 10, 1, s, s, s, 10, 1, "x"));
    assertThrows(IllegalArgumentException.class,
        () -> new IdleBench.Settings(List.of(A), List.of(1L), 10, 17, s, s, s, 10, 1, "x"));
  }
}
