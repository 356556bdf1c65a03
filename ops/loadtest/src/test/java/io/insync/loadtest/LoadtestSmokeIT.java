package io.insync.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.insync.persistence.cassandra.CassandraExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A short smoke run of each scenario (Gatling in this JVM, a few seconds, a handful of users) against one
 * real node (its own JVM, from ops' jar) on the real Cassandra of the test run, over the node's WebSocket
 * port; every run must pass all its checks. And one run whose checks expect a wrong client_msg_id must fail.
 */
@ExtendWith(CassandraExtension.class)
class LoadtestSmokeIT {
  static NodeJvm node;

  @BeforeAll
  static void startNode() throws Exception {
    node = NodeJvm.start(CassandraExtension.host() + ":" + CassandraExtension.port(), "loadtest");
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  static int run(String scenario, String... options) {
    List<String> args = new ArrayList<>(List.of(scenario, "--target", "127.0.0.1:" + node.wsPort(),
        "--results", "target/gatling", "--timeout", "10s"));
    args.addAll(List.of(options));
    return LoadtestMain.run(args.toArray(String[]::new));
  }

  @Test
  void connectIdle() {
    // the node advertises a 2 s heartbeat: each connection heartbeats at least once in 3 s
    assertEquals(0, run("connect-idle", "--users", "6", "--rate", "20", "--duration", "3s"));
  }

  @Test
  void oneToOneChat() {
    assertEquals(0, run("one-to-one-chat", "--rate", "2", "--duration", "3s", "--messages", "3", "--think", "50ms"));
  }

  @Test
  void reconnectStorm() {
    assertEquals(0, run("reconnect-storm", "--users", "4", "--rate", "20", "--messages", "3", "--duration", "1s",
        "--settle", "3s"));
  }

  @Test
  void offlineCatchUp() {
    assertEquals(0, run("offline-catch-up", "--users", "2", "--rate", "10", "--messages", "25", "--page", "7"));
  }

  @Test
  void aCheckThatExpectsAnotherClientMsgIdFailsTheRun() {
    assertNotEquals(0, run(WrongAckIdChat.class.getName(), "--rate", "1", "--duration", "1s", "--messages", "3",
        "--think", "10ms"));
  }
}
