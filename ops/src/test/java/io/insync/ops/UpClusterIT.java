package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Item;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code insync up --nodes 3} as the README runs it: its own Cassandra and three node processes in one
 * cluster; every node's addresses printed before {@code ready}; a message entered at node 3 is read at
 * node 1; a node that dies is reported and the others keep serving; SIGTERM stops every node, then
 * Cassandra.
 */
class UpClusterIT {

  @Test
  void upWithThreeNodesServesReportsADeadNodeAndStopsEverything() throws Exception {
    int base = freeBase();
    int tcp = base;
    int ws = base + 1;
    int artery = base + 5;
    int management = base + 100;
    int cql = NodeProcess.freePort();
    Path log = Path.of("target", "it-nodes", "up-cluster-" + base + ".log");
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-Dinsync.cassandra.lib=" + System.getProperty("insync.cassandra.lib"),
        "-Dpekko.management.http.port=" + management,
        "-cp", System.getProperty("java.class.path"),
        "io.insync.ops.cli.InsyncCli", "up", "--nodes", "3",
        "--data", Path.of("target", "up-cluster-it-" + base).toAbsolutePath().toString(),
        "--port", String.valueOf(tcp), "--ws-port", String.valueOf(ws), "--artery-port", String.valueOf(artery),
        "--cassandra-port", String.valueOf(cql),
        "--cassandra-storage-port", String.valueOf(NodeProcess.freePort()),
        "--cassandra-heap", "512M", "--node-heap", "384m"));
    Process up = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    List<Long> nodePids = new ArrayList<>();
    try {
      String out = awaitOutput(up, log, o -> o.lines().anyMatch("ready"::equals), Duration.ofSeconds(200));
      assertTrue(out.lines().anyMatch("ready"::equals), "up printed ready:\n" + out);
      String beforeReady = out.substring(0, out.indexOf("\nready") + 1);
      for (int i = 0; i < 3; i++) {
        assertTrue(beforeReady.contains("TCP SYNC   127.0.0.1:" + (tcp + 10 * i)), beforeReady);
        assertTrue(beforeReady.contains("WebSocket  ws://127.0.0.1:" + (ws + 10 * i) + "/sync"), beforeReady);
        assertTrue(beforeReady.contains("cluster    pekko://insync@127.0.0.1:" + (artery + i)), beforeReady);
        assertTrue(beforeReady.contains("management http://127.0.0.1:" + (management + i)), beforeReady);
      }
      Matcher m = Pattern.compile("node (\\d) \\(pid (\\d+)").matcher(beforeReady);
      while (m.find()) if (!nodePids.contains(Long.parseLong(m.group(2)))) nodePids.add(Long.parseLong(m.group(2)));
      assertEquals(3, nodePids.size(), "three node processes: " + beforeReady);

      // entered at node 3, read at node 1 (users are sharded over all three: most cross nodes)
      String run = UUID.randomUUID().toString().substring(0, 8);
      int users = 12;
      try (TestDevice sender = Inboxes.connect("up-s-" + run, "phone", tcp + 20)) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < users; i++) {
          acks.add(sender.client.send("m" + i, "up-r" + i + "-" + run, Envelopes.text("hi " + i)));
        }
        for (CompletableFuture<?> f : acks) f.get(60, TimeUnit.SECONDS);
      }
      for (int i = 0; i < users; i++) {
        try (TestDevice reader = Inboxes.connect("up-r" + i + "-" + run, "phone", tcp)) {
          List<Item> inbox = Inboxes.readAll(reader, null);
          assertEquals(List.of("hi " + i), inbox.stream().map(it -> it.getContent().getText()).toList());
        }
      }

      // node 2 dies: reported, and up keeps the others (which take over its users)
      long victim = nodePids.get(1);
      ProcessHandle.of(victim).orElseThrow().destroyForcibly();
      String expected = "node 2 (pid " + victim + ") exited with code 137";
      out = awaitOutput(up, log, o -> o.contains(expected), Duration.ofSeconds(30));
      assertTrue(out.contains(expected), "the dead node is reported:\n" + out);
      assertTrue(up.isAlive(), "up keeps running");
      try (TestDevice sender = Inboxes.connect("up-s2-" + run, "phone", tcp, tcp + 20)) {
        for (int i = 0; i < users; i++) {
          sender.client.send("after-" + i, "up-r" + i + "-" + run, Envelopes.text("after")).get(90, TimeUnit.SECONDS);
        }
      }

      up.destroy(); // SIGTERM, as Ctrl-C
      assertTrue(up.waitFor(120, TimeUnit.SECONDS), "up exits after SIGTERM");
      for (long pid : nodePids) {
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node pid " + pid + " stopped");
      }
      long stopDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (listening(cql) && System.nanoTime() < stopDeadline) Thread.sleep(200);
      assertFalse(listening(cql), "Cassandra stopped with up");
      for (int i = 0; i < 3; i++) assertFalse(listening(tcp + 10 * i), "node " + (i + 1) + " stopped");
    } finally {
      if (up.isAlive()) up.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      for (long pid : nodePids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static String awaitOutput(Process up, Path log, java.util.function.Predicate<String> done, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String out = "";
    while (System.nanoTime() < deadline && up.isAlive()) {
      out = Files.readString(log, StandardCharsets.UTF_8);
      if (done.test(out)) return out;
      Thread.sleep(200);
    }
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** A base port B with B, B+1, B+5..7, B+10, B+11, B+20, B+21, B+100..102 all free on loopback. */
  private static int freeBase() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int b = 20000 + 10 * ThreadLocalRandom.current().nextInt(2000);
      int[] ports = {b, b + 1, b + 5, b + 6, b + 7, b + 10, b + 11, b + 20, b + 21, b + 100, b + 101, b + 102};
      boolean free = true;
      for (int p : ports) free &= bindable(p);
      if (free) return b;
    }
    throw new IllegalStateException("no free port range");
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
