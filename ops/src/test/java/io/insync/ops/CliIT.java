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
