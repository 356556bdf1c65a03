package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.cli.InsyncCli;
import io.insync.persistence.cassandra.CassandraExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The people-facing commands, as the README shows them, against a real node. */
@ExtendWith(CassandraExtension.class)
class CliIT {
  static NodeProcess node;

  @BeforeAll
  static void startNode() throws Exception {
    node = new NodeProcess(CassandraExtension.host() + ":" + CassandraExtension.port(), "cli").start();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  record Run(int exit, List<String> out, String err) {}

  Run cli(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      String[] all = args;
      if (!args[0].equals("token")) {
        all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--server";
        all[args.length + 1] = "127.0.0.1:" + node.tcpPort();
      }
      int code = InsyncCli.commandLine().execute(all);
      String text = out.toString(StandardCharsets.UTF_8);
      return new Run(code, text.isEmpty() ? List.of() : List.of(text.split("\n")), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void sendThenSyncAsInTheReadme() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String alice = "alice-" + run;
    String bob = "bob-" + run;
    Run sent = cli("send", "--from", alice, "--to", bob, "--text", "hi", "--count", "3", "--client-msg-id", "c");
    assertEquals(0, sent.exit(), sent.err());
    assertEquals(3, sent.out().size(), sent.out().toString());
    for (String line : sent.out()) assertTrue(line.matches("\\{\"client_msg_id\":\"c-[123]\",\"seq\":[123]\\}"), line);

    Run again = cli("send", "--from", alice, "--to", bob, "--text", "hi", "--count", "3", "--client-msg-id", "c");
    assertEquals(0, again.exit());
    assertEquals(sent.out().stream().sorted().toList(), again.out().stream().sorted().toList(), "a retry returns the same acks");

    Run synced = cli("sync", "--user", bob, "--json");
    assertEquals(0, synced.exit(), synced.err());
    assertEquals(3, synced.out().size(), synced.out().toString());
    String first = synced.out().get(0);
    assertTrue(first.startsWith("{\"seq\":1,\"from\":\"" + alice + "\",\"to\":\"" + bob + "\""), first);
    assertTrue(first.contains("\"text\":\"hi #1\""), first);
    assertTrue(first.contains("\"client_msg_id\":\"c-1\""), first);
    assertTrue(first.matches(".*\"server_ts\":[1-9][0-9]*}"), first);

    // the device's key was acked: nothing new now
    Run nothingNew = cli("sync", "--user", bob, "--json");
    assertEquals(List.of(), nothingNew.out());
    // unless asked from an older key
    Run fromTwo = cli("sync", "--user", bob, "--json", "--from-key", "2");
    assertEquals(1, fromTwo.out().size());
    assertTrue(fromTwo.out().get(0).startsWith("{\"seq\":3,"));
  }

  @Test
  void failuresExitNonZeroWithAReason() {
    Run bad = cli("send", "--from", "x" + UUID.randomUUID().toString().substring(0, 6), "--to", "no such user!", "--text", "hi",
        "--timeout", "5s");
    assertNotEquals(0, bad.exit());
    assertTrue(bad.err().contains("not a valid user id"), bad.err());

    Run ahead = cli("sync", "--user", "nobody-" + UUID.randomUUID().toString().substring(0, 6), "--from-key", "5");
    assertNotEquals(0, ahead.exit());
    assertTrue(ahead.err().contains("ahead of the inbox"), ahead.err());
  }

  @Test
  void groupsAsInTheReadme() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ann = "ann-" + run, bob = "bob-" + run, cy = "cy-" + run, dan = "dan-" + run, eve = "eve-" + run;
    String group = "g-" + run;
    Run created = cli("group", "create", "--user", ann, "--name", "team", "--members", bob + "," + cy, "--group", group);
    assertEquals(0, created.exit(), created.err());
    assertEquals(List.of("{\"group\":\"" + group + "\",\"name\":\"team\",\"owner\":\"" + ann + "\",\"admins\":[],"
        + "\"members\":[\"" + ann + "\",\"" + bob + "\",\"" + cy + "\"],\"last_seq\":1}"), created.out());

    Run added = cli("group", "add", "--user", ann, "--group", group, "--member", dan);
    assertEquals(0, added.exit(), added.err());
    assertTrue(added.out().get(0).contains("\"members\":[\"" + ann + "\",\"" + bob + "\",\"" + cy + "\",\"" + dan + "\"]"),
        added.out().toString());
    Run removed = cli("group", "remove", "--user", ann, "--group", group, "--member", cy);
    assertEquals(0, removed.exit(), removed.err());
    assertTrue(removed.out().get(0).contains("\"members\":[\"" + ann + "\",\"" + bob + "\",\"" + dan + "\"]"),
        removed.out().toString());
    Run left = cli("group", "leave", "--user", dan, "--group", group);
    assertEquals(0, left.exit(), left.err());

    Run json = cli("group", "members", "--user", bob, "--group", group, "--json");
    assertEquals(0, json.exit(), json.err());
    assertEquals(List.of("{\"group\":\"" + group + "\",\"name\":\"team\",\"owner\":\"" + ann + "\",\"admins\":[],"
        + "\"members\":[\"" + ann + "\",\"" + bob + "\"],\"last_seq\":4}"), json.out());
    Run plain = cli("group", "members", "--user", bob, "--group", group);
    assertEquals(List.of(ann + "\towner", bob + "\tmember"), plain.out());

    Run sent = cli("group", "send", "--user", ann, "--group", group, "--text", "hi all", "--client-msg-id", "gm1");
    assertEquals(0, sent.exit(), sent.err());
    assertEquals(List.of("{\"client_msg_id\":\"gm1\",\"seq\":5,\"group\":\"" + group + "\"}"), sent.out());

    // the fan-out follows the ack: read bob's inbox (without acking) until the post is there
    List<String> items = List.of();
    for (long until = System.nanoTime() + 30_000_000_000L; System.nanoTime() < until; Thread.sleep(200)) {
      items = cli("sync", "--user", bob, "--json", "--from-key", "0", "--no-ack").out();
      if (items.stream().anyMatch(l -> l.contains("\"client_msg_id\":\"gm1\""))) break;
    }
    String post = items.stream().filter(l -> l.contains("\"client_msg_id\":\"gm1\"")).findFirst().orElseThrow(
        () -> new AssertionError("bob never got the post"));
    assertTrue(post.contains("\"from\":\"" + ann + "\",\"to\":\"" + bob + "\""), post);
    assertTrue(post.contains("\"text\":\"hi all\""), post);
    assertTrue(post.contains("\"kind\":\"MESSAGE\",\"group\":\"" + group + "\",\"group_seq\":5,"), post);
    assertTrue(items.get(0).contains("\"kind\":\"GROUP_EVENT\",\"group\":\"" + group + "\",\"group_seq\":1,"
        + "\"group_event\":{\"type\":\"GROUP_CREATED\",\"members\":["), items.get(0));
    assertTrue(items.get(0).contains("\"name\":\"team\"}"), items.get(0));

    Run forbidden = cli("group", "send", "--user", eve, "--group", group, "--text", "let me in", "--timeout", "5s");
    assertNotEquals(0, forbidden.exit());
    assertEquals(List.of(), forbidden.out());
    assertTrue(forbidden.err().contains("FORBIDDEN"), forbidden.err());
    Run notMember = cli("group", "members", "--user", eve, "--group", group);
    assertNotEquals(0, notMember.exit());
    assertTrue(notMember.err().contains("FORBIDDEN"), notMember.err());
  }

  @Test
  void readReceiptsAndDevicesAsInTheReadme() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String alice = "ra-" + run;
    String bob = "rb-" + run;
    Run sent = cli("send", "--from", alice, "--to", bob, "--text", "read me", "--client-msg-id", "r1");
    assertEquals(0, sent.exit(), sent.err());
    Run synced = cli("sync", "--user", bob, "--device", "phone", "--json");
    assertEquals(1, synced.out().size(), synced.out().toString());
    Run read = cli("read", "--user", bob, "--device", "phone", "--peer", alice, "--up-to", "1");
    assertEquals(0, read.exit(), read.err());
    assertEquals(List.of("{\"read\":\"" + alice + "\",\"up_to\":1}"), read.out());
    // alice's inbox: her message (seq 1), then bob's read receipt for it
    List<String> aliceItems = List.of();
    for (int attempt = 0; attempt < 100 && aliceItems.size() < 2; attempt++) {
      aliceItems = cli("sync", "--user", alice, "--json", "--from-key", "0", "--no-ack").out();
    }
    assertEquals(2, aliceItems.size(), aliceItems.toString());
    String receipt = aliceItems.get(1);
    assertTrue(receipt.contains("\"kind\":\"READ_RECEIPT\""), receipt);
    assertTrue(receipt.contains("\"from\":\"" + bob + "\""), receipt);
    assertTrue(receipt.contains("\"receipt_up_to\":1"), receipt);
    assertNotEquals(0, cli("read", "--user", bob, "--up-to", "1").exit(), "neither --peer nor --group");

    // bob's devices: phone (synced and read above), and the CLI's own device for this command
    Run list = cli("devices", "list", "--user", bob);
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().stream().anyMatch(l -> l.startsWith("{\"device\":\"phone\",\"platform\":\"\",\"sync_key\":1,")),
        list.out().toString());
    assertTrue(list.out().stream().anyMatch(l -> l.startsWith("{\"device\":\"cli\"")), list.out().toString());
    Run removed = cli("devices", "remove", "--user", bob, "--device", "phone");
    assertEquals(0, removed.exit(), removed.err());
    assertEquals(List.of("{\"removed\":\"phone\"}"), removed.out());
    Run unknown = cli("devices", "remove", "--user", bob, "--device", "tv");
    assertNotEquals(0, unknown.exit());
    assertTrue(unknown.err().contains("NOT_FOUND"), unknown.err());
    // the removed device's token is refused from then on
    Run refused = cli("sync", "--user", bob, "--device", "phone", "--timeout", "5s");
    assertNotEquals(0, refused.exit());
    assertTrue(refused.err().contains("AUTH_FAILED") || refused.err().contains("was removed"), refused.err());
    assertTrue(cli("devices", "list", "--user", bob).out().stream().noneMatch(l -> l.contains("\"phone\"")));
  }

  @Test
  void tokenPrintsAVerifiableToken() {
    Run t = cli("token", "--user", "alice", "--device", "d1");
    assertEquals(0, t.exit());
    var claims = assertDoesNotThrowVerify(t.out().get(0));
    assertEquals("alice", claims.user());
    assertEquals("d1", claims.device());
  }

  private static io.insync.core.auth.TokenSigner.Claims assertDoesNotThrowVerify(String token) {
    try {
      return io.insync.core.auth.TokenSigner.fromSecret(io.insync.core.auth.TokenSigner.DEV_SECRET)
          .verify(token, java.time.Instant.now());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
