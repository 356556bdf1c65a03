package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.cli.InsyncCli;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Management HTTP on real node processes: node A has no management token (writes disabled) and a journal
 * that the test can make unreachable ({@link UnreachableCassandraJournal}); node B has a token. Every route
 * answers; writes without or with a wrong token are refused with a reason; readiness turns false while A's
 * journal is unreachable and true again after; {@code bin/insync admin} reads members and shards and, with
 * the right token, makes B leave (B's process then exits). The leave runs last.
 */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ManagementIT {
  private static final String TOKEN = "it-token-" + UUID.randomUUID();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static Path journalDown;
  static NodeProcess a;
  static NodeProcess b;

  @BeforeAll
  static void startNodes() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    journalDown = Path.of("target", "it-nodes", "mgmt-journal-down-" + UUID.randomUUID()).toAbsolutePath();
    Files.createDirectories(journalDown.getParent());
    a = new NodeProcess(cassandra, "mgmt-a")
        .withJvmArgs("-Dpekko.persistence.cassandra.journal.class=io.insync.ops.UnreachableCassandraJournal",
            "-Dinsync.test.journal-down=" + journalDown);
    a.withSeeds(a.clusterAddress()).start();
    b = new NodeProcess(cassandra, "mgmt-b").withJvmArgs("-Dinsync.management.token=" + TOKEN);
    b.withSeeds(a.clusterAddress()).start();
    awaitTrue(Duration.ofSeconds(60), () -> upMembers(a).containsAll(List.of(a.clusterAddress(), b.clusterAddress())),
        "both nodes Up in A's view");
  }

  @AfterAll
  static void stopNodes() throws Exception {
    if (journalDown != null) Files.deleteIfExists(journalDown);
    if (b != null) b.close();
    if (a != null) a.close();
  }

  record Answer(int status, String body, Optional<String> challenge) {}

  static String url(NodeProcess n) {
    return "http://127.0.0.1:" + n.managementPort();
  }

  static Answer http(String method, NodeProcess n, String path, String authorization, String form) {
    try {
      HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url(n) + path)).timeout(Duration.ofSeconds(20));
      if (authorization != null) r.header("Authorization", authorization);
      if (form != null) r.header("Content-Type", "application/x-www-form-urlencoded");
      r.method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form));
      HttpResponse<String> resp = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(resp.statusCode(), resp.body(), resp.headers().firstValue("WWW-Authenticate"));
    } catch (Exception e) {
      return new Answer(-1, e.toString(), Optional.empty());
    }
  }

  static Answer get(NodeProcess n, String path) {
    return http("GET", n, path, null, null);
  }

  static String member(String address) {
    return "/cluster/members/" + URLEncoder.encode(address, StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  static List<String> upMembers(NodeProcess n) {
    Answer m = get(n, "/cluster/members");
    if (m.status() != 200) return List.of();
    List<Object> members = (List<Object>) ((Map<String, Object>) MiniJson.parse(m.body())).get("members");
    return members.stream().map(o -> (Map<String, Object>) o).filter(x -> "Up".equals(x.get("status")))
        .map(x -> (String) x.get("node")).toList();
  }

  /** Starts {@code nodes} with the first as seed and waits until each sees all of them Up. */
  static void startCluster(List<NodeProcess> nodes) throws Exception {
    NodeProcess seed = nodes.get(0);
    for (NodeProcess n : nodes) n.withSeeds(seed.clusterAddress()).start();
    List<String> all = nodes.stream().map(NodeProcess::clusterAddress).toList();
    for (NodeProcess n : nodes) {
      awaitTrue(Duration.ofSeconds(90), () -> upMembers(n).containsAll(all),
          "all " + all.size() + " nodes Up in " + n.clusterAddress() + "'s view");
    }
  }

  static void awaitTrue(Duration within, Supplier<Boolean> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.get()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + within.toSeconds() + " s: " + what);
      Thread.sleep(200);
    }
  }

  record Run(int exit, String out, String err) {}

  static Run admin(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = InsyncCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "admin";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = cli.execute(all);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  @Order(1)
  void everyReadRouteAnswersWithoutCredentials() {
    assertEquals(200, get(a, "/alive").status(), "/alive");
    assertEquals(200, get(a, "/ready").status(), "/ready: " + get(a, "/ready").body());
    assertEquals(200, get(b, "/ready").status(), "/ready on b");

    Answer members = get(a, "/cluster/members");
    assertEquals(200, members.status());
    assertTrue(members.body().contains(a.clusterAddress()) && members.body().contains(b.clusterAddress()), members.body());

    Answer one = get(a, member(b.clusterAddress()));
    assertEquals(200, one.status(), one.body());
    assertEquals(b.clusterAddress(), ((Map<?, ?>) MiniJson.parse(one.body())).get("node"));
    assertEquals("Up", ((Map<?, ?>) MiniJson.parse(one.body())).get("status"));
    assertEquals(404, get(a, member("pekko://insync@127.0.0.1:1")).status(), "an unknown member");

    Answer types = get(a, "/cluster/shards");
    assertEquals(200, types.status(), types.body());
    assertTrue(types.body().contains("\"User\""), types.body());
    Answer shards = get(a, "/cluster/shards/User");
    assertEquals(200, shards.status(), shards.body());
    assertTrue(((Map<?, ?>) MiniJson.parse(shards.body())).get("regions") instanceof List<?>, shards.body());
    Answer none = get(a, "/cluster/shards/NoSuchRegion");
    assertEquals(404, none.status(), none.body());

    assertEquals(200, get(a, "/bootstrap/seed-nodes").status(), "cluster bootstrap's contact point route");
    assertEquals(404, get(a, "/no/such/route").status());
  }

  @Test
  @Order(2)
  void writesAreRefusedWithAReasonUnlessTheTokenIsRight() throws Exception {
    String target = member(b.clusterAddress());
    Answer disabled = http("PUT", a, target, "Bearer " + TOKEN, "operation=Leave");
    assertEquals(403, disabled.status(), disabled.body());
    assertTrue(disabled.body().contains("writes disabled: set insync.management.token"), disabled.body());
    assertEquals(403, http("DELETE", a, target, null, null).status(), "no token configured on a: every write is 403");

    Answer missing = http("PUT", b, target, null, "operation=Down");
    assertEquals(401, missing.status(), missing.body());
    assertTrue(missing.challenge().orElse("").startsWith("Bearer realm="), missing.challenge().toString());
    assertTrue(missing.body().contains("missing Authorization header"), missing.body());

    Answer basic = http("PUT", b, target, "Basic dXNlcjpwYXNz", "operation=Down");
    assertEquals(401, basic.status(), basic.body());
    assertTrue(basic.body().contains("Basic"), basic.body());
    assertTrue(basic.challenge().isPresent());

    Answer wrong = http("PUT", b, target, "Bearer not-" + TOKEN, "operation=Down");
    assertEquals(403, wrong.status(), wrong.body());
    assertTrue(wrong.body().contains("wrong token"), wrong.body());
    assertEquals(403, http("DELETE", b, target, "Bearer nope", null).status());
    assertEquals(403, http("POST", b, "/cluster/members", "Bearer nope", "address=" + a.clusterAddress()).status());

    Run cliNoToken = admin("leave", "--url", url(b), "--node", b.clusterAddress());
    assertEquals(1, cliNoToken.exit(), cliNoToken.out());
    assertTrue(cliNoToken.err().contains("HTTP 401") && cliNoToken.err().contains("missing Authorization header"),
        cliNoToken.err());
    Run cliWrong = admin("down", "--url", url(b), "--token", "not-" + TOKEN, "--node", b.clusterAddress());
    assertEquals(1, cliWrong.exit());
    assertTrue(cliWrong.err().contains("HTTP 403: wrong token"), cliWrong.err());

    // with the right token, a bad request is the server's 400, not an auth refusal
    Answer badOp = http("PUT", b, target, "Bearer " + TOKEN, "operation=Explode");
    assertEquals(400, badOp.status(), badOp.body());

    assertTrue(b.isAlive(), "b still runs");
    assertTrue(upMembers(a).contains(b.clusterAddress()), "b still Up after every refused write");
  }

  @Test
  @Order(3)
  void adminMembersAndShardsThroughTheCli() {
    Run json = admin("members", "--url", url(a), "--json");
    assertEquals(0, json.exit(), json.err());
    Map<?, ?> parsed = (Map<?, ?>) MiniJson.parse(json.out());
    assertEquals(a.clusterAddress(), parsed.get("selfNode"));
    assertEquals(2, ((List<?>) parsed.get("members")).size(), json.out());

    Run table = admin("members", "--url", url(a));
    assertEquals(0, table.exit(), table.err());
    assertTrue(table.out().startsWith("NODE"), table.out());
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith(b.clusterAddress()) && l.contains(" Up ")), table.out());

    Run shards = admin("shards", "--url", url(a));
    assertEquals(0, shards.exit(), shards.err());
    assertTrue(shards.out().startsWith("NODE"), shards.out());
    assertTrue(shards.out().contains("total: User "), shards.out());

    Run unknown = admin("shards", "--url", url(a), "--region", "NoSuchRegion");
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().contains("HTTP 400: unknown region 'NoSuchRegion'"), unknown.err());

    Run unreachable = admin("members", "--url", "http://127.0.0.1:1");
    assertEquals(1, unreachable.exit());
    assertTrue(unreachable.err().contains("cannot reach"), unreachable.err());
  }

  @Test
  @Order(4)
  void readinessTurnsFalseWhileTheJournalIsUnreachableAndTrueAfter() throws Exception {
    assertEquals(200, get(a, "/ready").status());
    Files.writeString(journalDown, "down");
    long t0 = System.nanoTime();
    try {
      awaitTrue(Duration.ofSeconds(15), () -> get(a, "/ready").status() == 500, "a not ready with its journal down");
      System.out.printf("ManagementIT: not ready %d ms after the journal went down%n", (System.nanoTime() - t0) / 1_000_000);
      Answer notReady = get(a, "/ready");
      assertEquals(500, notReady.status());
      assertTrue(notReady.body().contains("journal"), notReady.body());
      assertEquals(200, get(a, "/alive").status(), "alive all the same");
      assertEquals(200, get(b, "/ready").status(), "b's journal is fine");
    } finally {
      Files.deleteIfExists(journalDown);
    }
    long t1 = System.nanoTime();
    // the journal's circuit breaker may have opened meanwhile: it tries again after its reset-timeout (30 s)
    awaitTrue(Duration.ofSeconds(60), () -> get(a, "/ready").status() == 200, "a ready again with its journal back");
    System.out.printf("ManagementIT: ready again %d ms after the journal came back%n", (System.nanoTime() - t1) / 1_000_000);
  }

  @Test
  @Order(5)
  void theRightTokenMakesAMemberLeaveAndItsProcessExits() throws Exception {
    Run leave = admin("leave", "--url", url(b), "--token", TOKEN, "--node", b.clusterAddress());
    assertEquals(0, leave.exit(), leave.err());
    assertTrue(leave.out().contains("Leaving " + b.clusterAddress()), leave.out());
    awaitTrue(Duration.ofSeconds(60), () -> !b.isAlive(), "b's process exits after leaving");
    awaitTrue(Duration.ofSeconds(30), () -> !get(a, "/cluster/members").body().contains(b.clusterAddress()),
        "b removed from a's members");
    assertFalse(b.isAlive());
    assertEquals(200, get(a, "/ready").status(), "a still ready alone");
  }
}
