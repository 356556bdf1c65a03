package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * `insync up` as the README runs it: it starts its own Cassandra and a node, serves, and on
 * SIGTERM (what Ctrl-C amounts to) stops both.
 */
class UpIT {

  @Test
  void upServesAndStopsEverythingItStarted() throws Exception {
    int port = NodeProcess.freePort();
    int wsPort = NodeProcess.freePort();
    int cql = NodeProcess.freePort();
    int management = NodeProcess.freePort();
    Path log = Path.of("target", "it-nodes", "up-" + port + ".log");
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-Dinsync.cassandra.lib=" + System.getProperty("insync.cassandra.lib"),
        "-cp", System.getProperty("java.class.path"),
        "io.insync.ops.cli.InsyncCli", "up",
        "--data", Path.of("target", "up-it-" + port).toAbsolutePath().toString(),
        "--port", String.valueOf(port),
        "--ws-port", String.valueOf(wsPort),
        "--artery-port", String.valueOf(NodeProcess.freePort()),
        "--management-port", String.valueOf(management),
        "--cassandra-port", String.valueOf(cql),
        "--cassandra-storage-port", String.valueOf(NodeProcess.freePort()),
        "--cassandra-heap", "512M"));
    Process up = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      String out = "";
      while (System.nanoTime() < deadline && up.isAlive()) {
        out = Files.readString(log, StandardCharsets.UTF_8);
        if (out.lines().anyMatch("ready"::equals)) break;
        Thread.sleep(200);
      }
      assertTrue(out.lines().anyMatch("ready"::equals), "up printed ready:\n" + out);
      assertTrue(out.contains("TCP SYNC   127.0.0.1:" + port), out);
      assertTrue(out.contains("WebSocket  ws://127.0.0.1:" + wsPort + "/sync"), out);
      assertTrue(out.contains("  management http://127.0.0.1:" + management + "\n"), out);
      assertTrue(out.contains("  console    http://127.0.0.1:" + management + "/console/\n"), out);

      try (TestDevice alice = new TestDevice("alice", "phone", port).connect();
          TestDevice bob = new TestDevice("bob", "laptop", port).connect()) {
        SendAck ack = alice.client.send("hello-up", "bob", Envelopes.text("hi from up")).get(30, TimeUnit.SECONDS);
        assertEquals(1, ack.getSeq());
        SyncResult r = bob.client.sync(0, 0).get(30, TimeUnit.SECONDS);
        assertEquals("hi from up", r.getItems(0).getContent().getText());
      }

      up.destroy(); // SIGTERM
      assertTrue(up.waitFor(90, TimeUnit.SECONDS), "up exits after SIGTERM");
      long stopDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (listening(cql) && System.nanoTime() < stopDeadline) Thread.sleep(200);
      assertFalse(listening(cql), "Cassandra stopped with up");
      assertFalse(listening(port), "the node stopped");
      assertFalse(listening(wsPort), "the node's WebSocket port closed");
    } finally {
      if (up.isAlive()) up.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
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
