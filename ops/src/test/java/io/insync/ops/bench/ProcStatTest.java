package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The /proc parsers: stat, cmdline, which process is what, cpuinfo, CLK_TCK; and the CPU arithmetic. */
class ProcStatTest {

  @Test
  void cpuTicksAreUtimePlusStimeEvenWithParenthesesInTheName() {
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 8 9 20 0 40 0 100 0 0";
    assertEquals(1234 + 567, ProcStat.parseCpuTicks(stat));
    String real = "31337 (java) S 1 31337 31337 0 -1 1077936384 182395 0 12 0 98765 4321 0 0 20 0 77 0 5555 "
        + "9000000000 200000 18446744073709551615 1 1 0 0 0 0 16800975 3 1 0 0 0 17 1 0 0 0 0 0\n";
    assertEquals(98765 + 4321, ProcStat.parseCpuTicks(real));
    assertThrows(IllegalArgumentException.class, () -> ProcStat.parseCpuTicks("garbage"));
    assertThrows(IllegalArgumentException.class, () -> ProcStat.parseCpuTicks("1 (x) S 1 2"));
  }

  @Test
  void thisProcessHasCpuTimeAndAGoneOneHasNone() {
    long self = ProcessHandle.current().pid();
    assertTrue(ProcStat.cpuTicks(self).isPresent());
    assertTrue(ProcStat.cpuTicks(self).getAsLong() > 0, "a JVM that ran tests used some CPU");
    assertTrue(ProcStat.cpuTicks(Long.MAX_VALUE).isEmpty());
    assertTrue(ProcStat.clockTicksPerSecond() > 0);
  }

  @Test
  void clockTicksFallBackTo100() {
    assertEquals(100, ProcStat.parseClockTicks("100\n"));
    assertEquals(250, ProcStat.parseClockTicks("250"));
    assertEquals(100, ProcStat.parseClockTicks("undefined"));
    assertEquals(100, ProcStat.parseClockTicks("0"));
  }

  @Test
  void cmdlineSplitsOnNul() {
    byte[] raw = "java\0-Xmx1g\0-jar\0/a b/insync.jar\0up\0--data\0/tmp/x\0".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("java", "-Xmx1g", "-jar", "/a b/insync.jar", "up", "--data", "/tmp/x"),
        ProcStat.parseCmdline(raw));
    assertEquals(List.of("sleep", "5"), ProcStat.parseCmdline("sleep\0005".getBytes(StandardCharsets.UTF_8)));
    assertEquals(List.of(), ProcStat.parseCmdline(new byte[0]));
  }

  static final List<String> UP = List.of("java", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
      "-Dinsync.cassandra.lib=/w/persistence/cassandra-server/target/lib", "-jar", "/w/ops/target/insync.jar", "up",
      "--data", "/tmp/benchdata");
  static final List<String> NODE = List.of("java", "-jar", "/w/ops/target/insync.jar", "node", "--port", "7401");
  static final List<String> BENCH = List.of("java", "-jar", "/w/ops/target/insync.jar", "bench", "one-to-one");
  static final List<String> CASSANDRA = List.of("/usr/lib/jvm/java-17/bin/java", "-Xms1G", "-cp", "/lib/*",
      "-Dcassandra.config=file:///d/cassandra.yaml", "org.apache.cassandra.service.CassandraDaemon");
  static final List<String> OTHER_JAR = List.of("java", "-jar", "/x/not-insync.jar", "up");
  static final List<String> MAVEN = List.of("/usr/bin/java", "-classpath", "/usr/share/maven/boot/plexus.jar",
      "org.codehaus.plexus.classworlds.launcher.Launcher", "-B", "verify");

  @Test
  void classifiesNodeCassandraAndTheRest() {
    assertEquals(ProcStat.Kind.NODE, ProcStat.classify(UP));
    assertEquals(ProcStat.Kind.NODE, ProcStat.classify(NODE));
    assertEquals(ProcStat.Kind.CASSANDRA, ProcStat.classify(CASSANDRA));
    assertNull(ProcStat.classify(BENCH));
    assertNull(ProcStat.classify(OTHER_JAR));
    assertNull(ProcStat.classify(MAVEN));
    assertNull(ProcStat.classify(List.of()));
    assertNull(ProcStat.classify(List.of("java", "-jar", "/w/ops/target/insync.jar")));
    // a main class between the jar and the subcommand (java -cp insync.jar io.insync.ops.cli.InsyncCli up)
    assertEquals(ProcStat.Kind.NODE,
        ProcStat.classify(List.of("java", "-cp", "/w/insync.jar", "io.insync.ops.cli.InsyncCli", "up")));
  }

  @Test
  void picksTheOnlyCandidateAndRefusesSeveral() {
    Map<Long, List<String>> procs = Map.of(10L, UP, 11L, CASSANDRA, 12L, BENCH, 13L, MAVEN);
    assertEquals(List.of(10L), ProcStat.candidates(procs, ProcStat.Kind.NODE, 12));
    assertEquals(List.of(11L), ProcStat.candidates(procs, ProcStat.Kind.CASSANDRA, 12));
    assertEquals(10L, ProcStat.pick(List.of(10L), ProcStat.Kind.NODE, "--node-pid").getAsLong());
    assertTrue(ProcStat.pick(List.of(), ProcStat.Kind.NODE, "--node-pid").isEmpty());
    // our own pid never counts
    assertEquals(List.of(), ProcStat.candidates(Map.of(10L, UP), ProcStat.Kind.NODE, 10));

    Map<Long, List<String>> two = Map.of(20L, UP, 7L, NODE, 11L, CASSANDRA);
    List<Long> c = ProcStat.candidates(two, ProcStat.Kind.NODE, 1);
    assertEquals(List.of(7L, 20L), c, "in pid order");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ProcStat.pick(c, ProcStat.Kind.NODE, "--node-pid"));
    assertTrue(e.getMessage().contains("found 2 insync node"), e.getMessage());
    assertTrue(e.getMessage().contains("[7, 20]"), e.getMessage());
    assertTrue(e.getMessage().contains("pass --node-pid PID"), e.getMessage());
  }

  @Test
  void cpuModelFromCpuinfo() {
    String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n\n"
        + "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
    assertEquals("AMD EPYC 7B13", ProcStat.parseCpuModel(cpuinfo));
    assertEquals("unknown", ProcStat.parseCpuModel("processor : 0\n"));
    assertEquals("unknown", ProcStat.parseCpuModel("model name\t:\n"));
  }

  @Test
  void cpuUseArithmetic() {
    CpuMeter.CpuUse u = new CpuMeter.CpuUse("node", 1, 3.0, 2.0); // 3 s of CPU in 2 s
    assertEquals(150.0, u.percentOfCore(), 1e-9);
    assertEquals(300.0, u.microsPerMessage(10_000), 1e-9); // 3 s / 10,000 messages = 300 µs
    assertTrue(Double.isNaN(u.microsPerMessage(0)));
  }

  @Test
  void rolesNameOneNodeOrNumberSeveral() {
    long me = ProcessHandle.current().pid();
    assertEquals(List.of("node", "cassandra", "bench"),
        List.copyOf(CpuMeter.roles(List.of(11L), java.util.OptionalLong.of(12)).keySet()));
    java.util.Map<String, Long> three = CpuMeter.roles(List.of(21L, 22L, 23L), java.util.OptionalLong.empty());
    assertEquals(List.of("node 1", "node 2", "node 3", "bench"), List.copyOf(three.keySet()));
    assertEquals(22L, three.get("node 2"));
    assertEquals(me, three.get("bench"));
  }

  @Test
  void meterMeasuresThisJvm() {
    CpuMeter m = new CpuMeter(CpuMeter.roles(java.util.OptionalLong.empty(), java.util.OptionalLong.of(Long.MAX_VALUE)));
    m.start();
    // burn 0.3 s of this thread's CPU (however long that takes on a busy machine; at most 60 s)
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long deadline = System.nanoTime() + 60_000_000_000L;
    long x = 0;
    while (threads.getCurrentThreadCpuTime() - cpu0 < 300_000_000L && System.nanoTime() < deadline) {
      for (int i = 0; i < 10_000; i++) x += Long.numberOfTrailingZeros(x + i);
    }
    double burned = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
    List<CpuMeter.CpuUse> used = m.stop();
    assertEquals(1, used.size(), "the unreadable pid is left out: " + used + x);
    CpuMeter.CpuUse bench = used.get(0);
    assertEquals("bench", bench.role());
    assertEquals(ProcessHandle.current().pid(), bench.pid());
    assertTrue(burned >= 0.3, "burned " + burned);
    double tick = 1.0 / ProcStat.clockTicksPerSecond();
    assertTrue(bench.cpuSeconds() >= burned - 2 * tick, "the process used at least what this thread did ("
        + burned + " s): " + bench);
    assertTrue(bench.windowSeconds() >= burned - 2 * tick, bench.toString());
  }
}
