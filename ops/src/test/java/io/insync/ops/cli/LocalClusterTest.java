package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** `up --nodes` knows a child is ready from its ready line: the line as InsyncNode logs it. */
class LocalClusterTest {

  @Test
  void readsTheReadyLineWithManagement() {
    Matcher m = LocalCluster.READY.matcher("15:24:41.787 INFO  [] io.insync.ops.InsyncNode - insync node ready: "
        + "TCP SYNC 127.0.0.1:7400, WebSocket SYNC ws://127.0.0.1:7401/sync, management http://127.0.0.1:8558, "
        + "cluster address pekko://insync@127.0.0.1:25520");
    assertTrue(m.find());
    assertEquals("127.0.0.1:7400", m.group(1));
    assertEquals("ws://127.0.0.1:7401/sync", m.group(2));
    assertEquals("http://127.0.0.1:8558", m.group(3));
    assertEquals("pekko://insync@127.0.0.1:25520", m.group(4));
  }

  @Test
  void readsTheReadyLineWithoutManagement() {
    Matcher m = LocalCluster.READY.matcher("insync node ready: TCP SYNC 127.0.0.1:7410, WebSocket SYNC "
        + "ws://127.0.0.1:7411/sync, cluster address pekko://insync@127.0.0.1:25521");
    assertTrue(m.find());
    assertNull(m.group(3));
    assertEquals("pekko://insync@127.0.0.1:25521", m.group(4));
  }
}
