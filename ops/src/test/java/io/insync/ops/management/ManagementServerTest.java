package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bearer check in front of Pekko Management's real routes, over HTTP, in one JVM (a cluster node that
 * never joins: no Cassandra needed for these routes). ManagementIT covers the same against node processes.
 */
class ManagementServerTest {
  static ActorSystem<Void> system;
  static ManagementServer server;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "insync", ConfigFactory.parseString(
        "pekko.remote.artery.canonical.port = 0\n"
            + "pekko.management.http.port = 0\n"
            + "insync.management.token = \"unit-test-token-0123456789\"\n").withFallback(ConfigFactory.load()));
    server = ManagementServer.start(system);
  }

  @AfterAll
  static void stop() {
    if (system != null) system.terminate();
  }

  static HttpResponse<String> send(String method, String path, String authorization) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString("operation=Leave"));
    if (authorization != null) r.header("Authorization", authorization);
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void boundOnLoopbackAtAFreePort() {
    assertEquals("127.0.0.1", server.address().getHostString());
    assertTrue(server.address().getPort() > 0);
  }

  @Test
  void readsPassWithoutCredentials() throws Exception {
    HttpResponse<String> r = send("GET", "/cluster/members", null);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"selfNode\""), r.body());
    assertEquals(200, send("GET", "/alive", null).statusCode());
  }

  @Test
  void writesAnswer401Or403WithTheReasonAsJson() throws Exception {
    HttpResponse<String> none = send("PUT", "/cluster/members/insync@127.0.0.1:1", null);
    assertEquals(401, none.statusCode());
    assertEquals("Bearer realm=\"insync-management\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
    assertTrue(none.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertTrue(none.body().startsWith("{\"message\":\"missing Authorization header"), none.body());

    HttpResponse<String> basic = send("DELETE", "/cluster/members/insync@127.0.0.1:1", "Basic eDp5");
    assertEquals(401, basic.statusCode());
    assertTrue(basic.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_request"));

    HttpResponse<String> wrong = send("PUT", "/cluster/members/insync@127.0.0.1:1", "Bearer nope");
    assertEquals(403, wrong.statusCode());
    assertEquals("{\"message\":\"wrong token\"}", wrong.body());
    assertTrue(wrong.headers().firstValue("WWW-Authenticate").isEmpty());

    // the right token reaches Pekko Management's route, which knows no such member
    HttpResponse<String> right = send("PUT", "/cluster/members/insync@127.0.0.1:1", "Bearer unit-test-token-0123456789");
    assertEquals(404, right.statusCode(), right.body());
    assertTrue(right.body().contains("not found"), right.body());
  }

  @Test
  void insyncRoutesCheckTheirInputThenSayTheNodeIsNotReady() throws Exception {
    // this system never starts sharding nor a gateway: the node never marked the routes ready
    for (String path : new String[] {"/insync/users/alice", "/insync/shards", "/insync/connections"}) {
      HttpResponse<String> r = send("GET", path, null);
      assertEquals(503, r.statusCode(), path + ": " + r.body());
      assertTrue(r.body().startsWith("{\"message\":\"this node is not ready yet"), r.body());
    }
    HttpResponse<String> bad = send("GET", "/insync/users/a%20b", null);
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("invalid user id 'a b'"), bad.body());
    HttpResponse<String> empty = send("GET", "/insync/users/", null);
    assertEquals(400, empty.statusCode(), empty.body());
    assertTrue(empty.body().contains("a user id is needed"), empty.body());
    HttpResponse<String> region = send("GET", "/insync/shards?region=Nope", null);
    assertEquals(400, region.statusCode(), region.body());
    assertEquals("{\"message\":\"unknown region 'Nope': one of User, Group\"}", region.body());
  }

  @Test
  void insyncWritesGoThroughTheSameBearerCheck() throws Exception {
    HttpResponse<String> none = send("POST", "/insync/users/alice/passivate", null);
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(none.body().contains("missing Authorization header"), none.body());
    assertEquals(403, send("POST", "/insync/users/alice/passivate", "Bearer nope").statusCode());
    // past the check: the route itself answers (not ready here)
    HttpResponse<String> right = send("POST", "/insync/users/alice/passivate", "Bearer unit-test-token-0123456789");
    assertEquals(503, right.statusCode(), right.body());
  }

  @Test
  void theConsoleIsServedFromTheJarWithItsContentTypes() throws Exception {
    HttpResponse<String> page = send("GET", "/console/", null);
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
    assertTrue(page.body().contains("<title>insync console</title>") && page.body().contains("console.js"), page.body());
    HttpResponse<String> js = send("GET", "/console/console.js", null);
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("Content-Type").orElse("").contains("javascript"), js.headers().toString());
    assertTrue(js.body().contains("/insync/stats"), "the script polls the stats");
    HttpResponse<String> css = send("GET", "/console/console.css", null);
    assertTrue(css.headers().firstValue("Content-Type").orElse("").startsWith("text/css"), css.headers().toString());
    HttpResponse<String> bare = send("GET", "/console", null);
    assertEquals(301, bare.statusCode(), "the bare path moves to the directory, so that relative assets resolve");
    assertEquals("/console/", bare.headers().firstValue("Location").orElse(""));
    assertEquals(404, send("GET", "/console/nope.js", null).statusCode());
    assertEquals(503, send("GET", "/insync/stats", null).statusCode(), "the stats answer once the node is ready");
  }
}
