package io.insync.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.insync.core.auth.TokenSigner;
import io.insync.loadtest.FakeSyncServer.Fault;
import org.junit.jupiter.api.Test;

/**
 * Each scenario runs (Gatling in this JVM, a few seconds, a handful of users) against an in-memory stand-in
 * for the node: it passes when the answers are right, and fails the run when one kind of answer is wrong.
 * The same scenarios against a real node: {@code LoadtestSmokeIT}.
 */
class ScenariosTest {

  static int run(Fault fault, String scenario, String... options) throws Exception {
    try (FakeSyncServer server = new FakeSyncServer(TokenSigner.DEV_SECRET, fault)) {
      String[] args = new String[options.length + 7];
      args[0] = scenario;
      args[1] = "--target";
      args[2] = "127.0.0.1:" + server.port();
      args[3] = "--results";
      args[4] = "target/gatling";
      args[5] = "--timeout";
      args[6] = "5s";
      System.arraycopy(options, 0, args, 7, options.length);
      return LoadtestMain.run(args);
    }
  }

  @Test
  void connectIdlePassesAndFailsOnAWrongHeartbeatAnswer() throws Exception {
    String[] opts = {"--users", "4", "--rate", "20", "--duration", "2s", "--heartbeat", "500ms"};
    assertEquals(0, run(Fault.NONE, "connect-idle", opts));
    assertNotEquals(0, run(Fault.WRONG_HEARTBEAT, "connect-idle", opts));
  }

  @Test
  void oneToOneChatPassesAndFailsOnASendAckWithAnotherClientMsgId() throws Exception {
    String[] opts = {"--rate", "4", "--duration", "2s", "--messages", "3", "--think", "10ms"};
    assertEquals(0, run(Fault.NONE, "one-to-one-chat", opts));
    assertNotEquals(0, run(Fault.WRONG_ACK_ID, "one-to-one-chat", opts));
  }

  @Test
  void offlineCatchUpPassesAndFailsOnAGapInASyncPage() throws Exception {
    String[] opts = {"--users", "3", "--rate", "10", "--messages", "23", "--page", "5"};
    assertEquals(0, run(Fault.NONE, "offline-catch-up", opts));
    assertNotEquals(0, run(Fault.SYNC_GAP, "offline-catch-up", opts));
  }

  @Test
  void reconnectStormPassesAndFailsOnAGapAfterReconnecting() throws Exception {
    String[] opts = {"--users", "4", "--rate", "20", "--messages", "4", "--duration", "1s", "--settle", "1s"};
    assertEquals(0, run(Fault.NONE, "reconnect-storm", opts));
    assertNotEquals(0, run(Fault.SYNC_GAP, "reconnect-storm", opts));
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingRuns() {
    assertEquals(2, LoadtestMain.run("no-such-scenario"));
    assertEquals(2, LoadtestMain.run("connect-idle", "--users", "0"));
    assertEquals(2, LoadtestMain.run("connect-idle", "--target", "nohostport"));
    assertEquals(2, LoadtestMain.run("connect-idle", "--bogus", "1"));
    assertEquals(2, LoadtestMain.run("connect-idle", "--duration", "soon"));
  }
}
