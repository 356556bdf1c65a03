package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.insync.protocol.AuthOk;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK asks the access endpoint ({@code GET /insync/access}) before it connects and before each
 * reconnect, tries the gateways it names in its order, and falls back to its own addresses when the
 * endpoint is down, answers an error or names none.
 */
class InsyncClientAccessTest {
  private final List<ScriptedServer> servers = new ArrayList<>();
  private HttpServer http;
  private InsyncClient client;
  private final AtomicInteger asked = new AtomicInteger();
  /** What the endpoint answers: status and body. */
  private final AtomicReference<Object[]> answer = new AtomicReference<>(new Object[] {503, "{\"message\":\"none\"}"});

  @AfterEach
  void stop() {
    if (client != null) client.close();
    servers.forEach(ScriptedServer::close);
    if (http != null) http.stop(0);
  }

  private ScriptedServer server() {
    ScriptedServer s = new ScriptedServer();
    servers.add(s);
    return s;
  }

  private URI endpoint() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/insync/access", ex -> {
      asked.incrementAndGet();
      Object[] a = answer.get();
      byte[] body = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders((Integer) a[0], body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // a hanging answer blocks no other
    http.start();
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/insync/access?user=alice");
  }

  private static String gateways(ScriptedServer... in) {
    StringBuilder b = new StringBuilder("{\"user\":\"alice\",\"idc\":\"default\",\"gateways\":[");
    for (int i = 0; i < in.length; i++) {
      if (i > 0) b.append(',');
      b.append("{\"node\":\"pekko://insync@127.0.0.1:").append(25520 + i).append("\",\"tcp\":\"127.0.0.1:")
          .append(in[i].address().getPort()).append("\",\"websocket\":null,\"idc\":\"default\",\"connections\":")
          .append(i).append('}');
    }
    return b.append("],\"draining\":[]}").toString();
  }

  private ClientOptions.Builder options(URI access, ScriptedServer own) {
    return ClientOptions.builder().address(own.address()).token("v1.test-token").autoSync(false)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(100)).accessUrl(access).accessTimeout(Duration.ofSeconds(2));
  }

  @Test
  void theEndpointsGatewaysAreTriedFirstAndItIsAskedAgainOnReconnect() throws Exception {
    ScriptedServer own = server();
    ScriptedServer best = server();
    ScriptedServer next = server();
    URI access = endpoint();
    answer.set(new Object[] {200, gateways(best, next)});
    client = InsyncClient.create(options(access, own).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = best.acceptAuth(0);
    connected.get(5, TimeUnit.SECONDS);
    assertEquals(1, asked.get());
    assertEquals(0, own.connectionCount(), "the endpoint's first gateway, not the configured address");
    assertEquals(0, next.connectionCount());

    answer.set(new Object[] {200, gateways(next, best)});
    auth.conn().close(); // the connection drops: the client reconnects, asking again
    next.acceptAuth(0);
    assertEquals(2, asked.get(), "asked again before the reconnect");
    assertEquals(1, best.connectionCount());
    assertEquals(0, own.connectionCount());
  }

  @Test
  void aFailingOrEmptyEndpointFallsBackToTheOwnAddresses() throws Exception {
    ScriptedServer own = server();
    URI access = endpoint();
    answer.set(new Object[] {503, "{\"message\":\"no gateway to offer\"}"});
    client = InsyncClient.create(options(access, own).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = own.acceptAuth(0);
    connected.get(5, TimeUnit.SECONDS);
    assertEquals(1, asked.get());

    answer.set(new Object[] {200, "{\"gateways\":[],\"draining\":[]}"});
    auth.conn().close();
    ScriptedServer.Received again = own.acceptAuth(0);
    assertEquals(2, asked.get());

    http.stop(0); // the endpoint is gone: connection refused
    again.conn().close();
    own.acceptAuth(0);
    assertEquals(3, own.connectionCount(), "the configured address every time");
  }

  @Test
  void anEndpointThatDoesNotAnswerInTimeIsNotWaitedFor() throws Exception {
    ScriptedServer own = server();
    URI access = endpoint();
    CompletableFuture<Void> release = new CompletableFuture<>();
    http.removeContext("/insync/access");
    http.createContext("/insync/access", ex -> {
      release.join(); // hangs until the test ends
      ex.sendResponseHeaders(503, -1);
    });
    client = InsyncClient.create(options(access, own).accessTimeout(Duration.ofMillis(300)).build());
    try {
      CompletableFuture<AuthOk> connected = client.connect();
      own.acceptAuth(0);
      connected.get(5, TimeUnit.SECONDS);
      assertTrue(own.connectionCount() == 1);
    } finally {
      release.complete(null);
    }
  }

  @Test
  void theAnswersTcpAddressesInOrder() {
    assertEquals(List.of("10.0.0.2:7400", "[::1]:7401"), AccessLookup.tcpAddresses(
        "{\"gateways\":[{\"node\":\"a\",\"tcp\":\"10.0.0.2:7400\",\"websocket\":\"ws://10.0.0.2:7401/sync\"},"
            + "{\"node\":\"b\", \"tcp\" : \"[::1]:7401\",\"websocket\":null}],\"draining\":[]}"));
    assertEquals(List.of(), AccessLookup.tcpAddresses("{\"message\":\"no gateway\"}"));
  }

  @Test
  void onlyHttpUrlsAreAccepted() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ClientOptions.builder().accessUrl(URI.create("ftp://x/insync/access")));
  }
}
