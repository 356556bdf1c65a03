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
  void shardsTableHasOneRowPerNodeAndRegionThenTotalsAndFailures() {
    StringWriter s = new StringWriter();
    new AdminCommand.Shards().table(MiniJson.parse("{\"nodes\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25520\",\"version\":\"1.0.0\",\"regions\":{\"User\":{\"shards\":3,\"entities\":12,\"failed\":[]},"
        + "\"Group\":{\"shards\":1,\"entities\":1,\"failed\":[]}}},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"version\":\"1.0.1\",\"regions\":{\"User\":{\"shards\":2,\"entities\":4,\"failed\":[\"7\",\"9\"]},"
        + "\"Group\":{\"shards\":0,\"entities\":0,\"failed\":[]}}}],"
        + "\"total\":{\"User\":{\"shards\":5,\"entities\":16},\"Group\":{\"shards\":1,\"entities\":1}}}"),
        new PrintWriter(s, true));
    assertEquals("""
        NODE                            VERSION  REGION  SHARDS  ENTITIES
        pekko://insync@127.0.0.1:25520  1.0.0    User    3       12
        pekko://insync@127.0.0.1:25520  1.0.0    Group   1       1
        pekko://insync@127.0.0.1:25521  1.0.1    User    2       4
        pekko://insync@127.0.0.1:25521  1.0.1    Group   0       0
        total: User 5 shards, 16 entities; Group 1 shards, 1 entities
        did not answer: User on pekko://insync@127.0.0.1:25521: 7,9
        """, s.toString());
  }

  @Test
  void userTableShowsPlacementInboxHeadAndDevices() {
    StringWriter s = new StringWriter();
    new AdminCommand.User().table(MiniJson.parse("{\"user\":\"alice\",\"node\":\"pekko://insync@127.0.0.1:25520\","
        + "\"shard\":\"42\",\"set\":null,\"inbox_head\":7,\"devices\":["
        + "{\"device\":\"phone\",\"platform\":\"ios\",\"acked_key\":7,\"online\":true,\"registered_at\":1},"
        + "{\"device\":\"pc\",\"platform\":\"\",\"acked_key\":3,\"online\":false,\"registered_at\":2}],"
        + "\"entity\":{\"status\":\"running\",\"started_at\":0,\"pending_deliveries\":1,\"online_devices\":1}}"),
        new PrintWriter(s, true));
    assertEquals("""
        user        alice
        node        pekko://insync@127.0.0.1:25520
        shard       42
        set         - (SETs are not built yet)
        inbox head  7
        entity      running since 1970-01-01T00:00:00Z, 1 deliveries pending
        DEVICE  PLATFORM  ACKED  ONLINE
        phone   ios       7      yes
        pc      -         3      no
        """, s.toString());
  }

  @Test
  void connectionsTableMarksANodeThatDidNotAnswer() {
    StringWriter s = new StringWriter();
    new AdminCommand.Connections().table(MiniJson.parse("{\"nodes\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25520\",\"connections\":3},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"connections\":null,\"error\":\"no answer within 5000 ms\"}],"
        + "\"total\":3}"), new PrintWriter(s, true));
    assertEquals("""
        NODE                            CONNECTIONS
        pekko://insync@127.0.0.1:25520  3
        pekko://insync@127.0.0.1:25521  ? (no answer within 5000 ms)
        total: 3
        """, s.toString());
  }

  @Test
  void userIdsAreOnePathSegment() {
    assertEquals("/insync/users/alice%40example.com", AdminCommand.userPath(" alice@example.com "));
    assertEquals("/insync/users/a%2Fb%20c", AdminCommand.userPath("a/b c"));
    assertThrows(IllegalArgumentException.class, () -> AdminCommand.userPath(""));
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

  @Test
  void accessTableListsTheGatewaysInOrder() {
    StringWriter s = new StringWriter();
    new AdminCommand.Access().table(MiniJson.parse("{\"user\":null,\"idc\":\"default\",\"gateways\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"tcp\":\"127.0.0.1:7420\",\"websocket\":null,\"idc\":\"default\",\"connections\":0},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25522\",\"tcp\":\"127.0.0.1:7430\",\"websocket\":\"ws://127.0.0.1:7431/sync\",\"idc\":\"default\",\"connections\":4}],"
        + "\"draining\":[\"pekko://insync@127.0.0.1:25520\"]}"), new PrintWriter(s, true));
    assertEquals("""
        #  NODE                            TCP             WEBSOCKET                 IDC      CONNECTIONS
        1  pekko://insync@127.0.0.1:25521  127.0.0.1:7420  -                         default  0
        2  pekko://insync@127.0.0.1:25522  127.0.0.1:7430  ws://127.0.0.1:7431/sync  default  4
        idc: default   draining: pekko://insync@127.0.0.1:25520
        """, s.toString());
  }

  @Test
  void drainPostsTheWindowAndCancelDeletes() {
    AdminCommand.Drain drain = new AdminCommand.Drain();
    new picocli.CommandLine(drain).parseArgs("--node", "pekko://insync@127.0.0.1:25520", "--over", "10s", "--token", "t");
    java.net.http.HttpRequest post = drain.request().build();
    assertEquals("POST", post.method());
    assertEquals("http://127.0.0.1:8558/insync/nodes/pekko%3A%2F%2Finsync%40127.0.0.1%3A25520/drain", post.uri().toString());
    assertEquals("over=10s".length(), post.bodyPublisher().orElseThrow().contentLength());
    assertEquals("Bearer t", post.headers().firstValue("Authorization").orElseThrow());

    AdminCommand.Drain cancel = new AdminCommand.Drain();
    new picocli.CommandLine(cancel).parseArgs("--node", "127.0.0.1:25520", "--cancel");
    java.net.http.HttpRequest delete = cancel.request().build();
    assertEquals("DELETE", delete.method());
    assertEquals("http://127.0.0.1:8558/insync/nodes/127.0.0.1%3A25520/drain", delete.uri().toString());

    AdminCommand.Drain both = new AdminCommand.Drain();
    new picocli.CommandLine(both).parseArgs("--node", "127.0.0.1:25520", "--cancel", "--over", "5s");
    assertThrows(IllegalArgumentException.class, both::request);
  }

  @Test
  void revocationsTableShowsBansAndRevocations() {
    StringWriter s = new StringWriter();
    new AdminCommand.Revocations().table(MiniJson.parse("{\"revocations\":["
        + "{\"kind\":\"ban\",\"user\":\"mallory\",\"device\":null,\"at\":0,\"until\":null,\"who\":\"ops\",\"reason\":\"spam\"},"
        + "{\"kind\":\"revoke\",\"user\":\"alice\",\"device\":\"phone\",\"at\":1000,\"issued_before\":1000,\"who\":\"ops\",\"reason\":\"\"}]}"),
        new PrintWriter(s, true));
    assertEquals("""
        KIND    USER     DEVICE  SINCE                 UNTIL / ISSUED BEFORE  WHO  REASON
        ban     mallory  -       1970-01-01T00:00:00Z  lifted by unban        ops  spam
        revoke  alice    phone   1970-01-01T00:00:01Z  1970-01-01T00:00:01Z   ops  -
        """, s.toString());
    StringWriter none = new StringWriter();
    new AdminCommand.Revocations().table(MiniJson.parse("{\"revocations\":[]}"), new PrintWriter(none, true));
    assertEquals("no bans or revocations\n", none.toString());
  }
}
