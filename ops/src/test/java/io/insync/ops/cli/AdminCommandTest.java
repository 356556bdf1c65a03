package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.management.MiniJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The admin CLI's parts that need no server: tables, reasons, addresses, option errors. */
class AdminCommandTest {
  @Test
  void membersTable() {
    StringWriter s = new StringWriter();
    new AdminCommand.Members().table(MiniJson.parse("{\"leader\":\"pekko://insync@127.0.0.1:25520\",\"members\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"nodeUid\":\"2\",\"roles\":[\"dc-default\"],\"status\":\"Leaving\"},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25520\",\"nodeUid\":\"1\",\"roles\":[\"dc-default\"],\"status\":\"Up\"}],"
        + "\"oldest\":\"pekko://insync@127.0.0.1:25520\",\"oldestPerRole\":{},\"selfNode\":\"pekko://insync@127.0.0.1:25520\","
        + "\"unreachable\":[{\"node\":\"pekko://insync@127.0.0.1:25521\",\"observedBy\":[\"pekko://insync@127.0.0.1:25520\"]}]}"),
        new PrintWriter(s, true));
    String[] lines = s.toString().split("\n");
    assertEquals("NODE                            STATUS   ROLES       UID", lines[0]);
    assertEquals("pekko://insync@127.0.0.1:25520  Up       dc-default  1", lines[1]);
    assertEquals("pekko://insync@127.0.0.1:25521  Leaving  dc-default  2", lines[2]);
    assertTrue(lines[3].startsWith("self: pekko://insync@127.0.0.1:25520   leader: pekko://"), lines[3]);
    assertEquals("unreachable: pekko://insync@127.0.0.1:25521 (observed by pekko://insync@127.0.0.1:25520)", lines[4]);
  }

  @Test
  void shardsTableSortsShardIdsAsNumbers() {
    StringWriter s = new StringWriter();
    new AdminCommand.Shards().table(MiniJson.parse("{\"regions\":[{\"shardId\":\"10\",\"numEntities\":1},"
        + "{\"shardId\":\"9\",\"numEntities\":4}]}"), new PrintWriter(s, true));
    assertEquals("SHARD  ENTITIES\n9      4\n10     1\n2 shards of region User on this node, 5 entities\n", s.toString());
  }

  @Test
  void theReasonIsTheServersMessage() {
    assertEquals("wrong token", AdminCommand.reason("{\"message\":\"wrong token\"}"));
    assertEquals("Not Healthy: x", AdminCommand.reason("Not Healthy: x\n"));
    assertEquals("(no reason given)", AdminCommand.reason(""));
  }

  @Test
  void memberAddressesAreOnePathSegment() {
    assertEquals("/cluster/members/pekko%3A%2F%2Finsync%40127.0.0.1%3A25520", AdminCommand.member(" pekko://insync@127.0.0.1:25520 "));
    assertThrows(IllegalArgumentException.class, () -> AdminCommand.member(" "));
  }

  @Test
  void badOptionsExitNonZeroWithAMessage() {
    StringWriter err = new StringWriter();
    var cli = InsyncCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    assertNotEquals(0, cli.execute("admin", "leave", "--url", "http://127.0.0.1:1"));
    assertTrue(err.toString().contains("--node"), err.toString());
    StringWriter err2 = new StringWriter();
    cli.setErr(new PrintWriter(err2, true));
    // the execution-exception handler prints to System.err; the exit code is what matters here
    assertEquals(1, cli.execute("admin", "members", "--url", "ftp://x"));
  }
}
