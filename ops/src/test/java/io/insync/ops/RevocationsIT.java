package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.client.ServerErrorException;
import io.insync.core.auth.TokenSigner;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Key rotation, bans and token revocations (issue 14, item 1) on two real node processes whose key ring holds an
 * old and a new key and no v1 secret: tokens of both keys are accepted, of an unknown key and v1 ones refused; a
 * ban written on node A closes the user's sessions on node B within seconds and refuses them on both nodes until
 * lifted; a device's revocation closes that device's session only, and a token issued after it works.
 */
@ExtendWith(CassandraExtension.class)
class RevocationsIT {
  private static final String TOKEN = "revocations-test-token-0123456789";
  private static final String AUTH = "Bearer " + TOKEN;
  private static final TokenSigner OLD = TokenSigner.keyRing(Map.of("k-old", "old-secret-0123456789"), null, null);
  private static final TokenSigner NEW = TokenSigner.keyRing(Map.of("k-new", "new-secret-0123456789"), null, null);

  @Test
  void rotationBansAndRevocationsReachEveryGateway() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String user = "rv-" + UUID.randomUUID().toString().substring(0, 8);
    List<NodeProcess> nodes = new ArrayList<>();
    List<InsyncClient> clients = new ArrayList<>();
    try {
      for (String n : List.of("revoke-a", "revoke-b")) {
        nodes.add(new NodeProcess(cassandra, n).withJvmArgs("-Dinsync.management.token=" + TOKEN,
            "-Dinsync.gateway.token-keys=k-old=old-secret-0123456789,k-new=new-secret-0123456789",
            "-Dinsync.gateway.token-secret="));
      }
      ManagementIT.startCluster(nodes);
      NodeProcess a = nodes.get(0);
      NodeProcess b = nodes.get(1);

      // the ring: both keys accepted; an unknown key and a v1 token refused
      Device phone = connect(clients, b, OLD.sign(user, "phone", Instant.now().plusSeconds(3600)));
      Device pc = connect(clients, b, NEW.sign(user, "pc", Instant.now().plusSeconds(3600)));
      assertEquals("unknown key", refusal(b, TokenSigner.keyRing(Map.of("k-x", "x-secret"), null, null)
          .sign(user, "tablet", Instant.now().plusSeconds(3600))));
      assertEquals("unknown key", refusal(b, TokenSigner.fromSecret(TokenSigner.DEV_SECRET)
          .sign(user, "tablet", Instant.now().plusSeconds(3600))), "v1 tokens are refused: no token-secret");

      // refused writes
      assertEquals(401, ManagementIT.http("POST", a, "/insync/users/" + user + "/ban", null, "").status());
      ManagementIT.Answer bad = ManagementIT.http("POST", a, "/insync/users/" + user + "/ban", AUTH, "for=soon");
      assertEquals(400, bad.status(), bad::body);

      // a ban on A closes both sessions on B
      long t0 = System.nanoTime();
      ManagementIT.Answer ban = ManagementIT.http("POST", a, "/insync/users/" + user + "/ban", AUTH,
          "reason=spam&who=revocations-it");
      assertEquals(200, ban.status(), ban::body);
      for (Device d : List.of(phone, pc)) {
        Throwable why = d.closed.get(15, TimeUnit.SECONDS);
        ServerErrorException e = assertInstanceOf(ServerErrorException.class, why, () -> String.valueOf(why));
        assertEquals(ErrorCode.AUTH_FAILED, e.code());
        assertEquals("user banned: spam", e.error().getReason());
      }
      long closedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      for (NodeProcess n : nodes) {
        assertEquals("user banned: spam", refusal(n, NEW.sign(user, "phone", Instant.now().plusSeconds(3600))));
      }
      String listed = ManagementIT.get(b, "/insync/revocations").body();
      assertTrue(listed.contains("\"kind\":\"ban\",\"user\":\"" + user + "\"") && listed.contains("\"until\":null"), listed);

      // lifted on B: the user connects again
      assertEquals(200, ManagementIT.http("DELETE", b, "/insync/users/" + user + "/ban", AUTH, null).status());
      Device phone2 = await(() -> connect(clients, a, OLD.sign(user, "phone", Instant.now().plusSeconds(3600))));
      Device pc2 = connect(clients, b, NEW.sign(user, "pc", Instant.now().plusSeconds(3600)));

      // one device's tokens revoked: only its session ends; a token issued after the revocation works
      ManagementIT.Answer revoke = ManagementIT.http("POST", b, "/insync/users/" + user + "/revoke", AUTH,
          "device=phone&reason=lost");
      assertEquals(200, revoke.status(), revoke::body);
      Throwable why = phone2.closed.get(15, TimeUnit.SECONDS);
      assertTrue(why instanceof ServerErrorException e && e.code() == ErrorCode.AUTH_FAILED
          && e.error().getReason().startsWith("token revoked"), String.valueOf(why));
      assertTrue(pc2.client.isConnected(), "the other device stays connected");
      assertTrue(refusal(a, OLD.sign(user, "phone", Instant.now().minusSeconds(5), Instant.now().plusSeconds(3600)))
          .startsWith("token revoked"), "an old token of the device is refused");
      connect(clients, a, NEW.sign(user, "phone", Instant.now().plusSeconds(2), Instant.now().plusSeconds(3600)));
      System.out.printf("revocations: a ban written on one node closed the user's 2 sessions on the other in %d ms%n",
          closedMs);
    } finally {
      for (InsyncClient c : clients) c.close();
      for (NodeProcess n : nodes) n.close();
    }
  }

  /** A connected client and the cause its connection ended with, once it ends. */
  record Device(InsyncClient client, CompletableFuture<Throwable> closed) {}

  private static Device connect(List<InsyncClient> all, NodeProcess node, String token) throws Exception {
    CompletableFuture<Throwable> closed = new CompletableFuture<>();
    InsyncClient c = InsyncClient.create(ClientOptions.builder().address("127.0.0.1", node.tcpPort()).token(token)
        .syncKeyStore(new InMemorySyncKeyStore()).listener(new ClientListener() {
          @Override
          public void onDisconnected(Throwable cause) {
            closed.complete(cause);
          }
        }).build());
    all.add(c);
    c.connect().get(30, TimeUnit.SECONDS);
    return new Device(c, closed);
  }

  /** The reason {@code node} refuses {@code token} at Auth with (AUTH_FAILED), failing if it accepts it. */
  private static String refusal(NodeProcess node, String token) throws Exception {
    try (InsyncClient c = InsyncClient.create(ClientOptions.builder().address("127.0.0.1", node.tcpPort()).token(token)
        .syncKeyStore(new InMemorySyncKeyStore()).connectRetryTimeout(Duration.ofSeconds(10)).build())) {
      c.connect().get(30, TimeUnit.SECONDS);
      throw new AssertionError("the token was accepted");
    } catch (ExecutionException e) {
      ServerErrorException s = assertInstanceOf(ServerErrorException.class, e.getCause(), () -> e.getCause().toString());
      assertEquals(ErrorCode.AUTH_FAILED, s.code(), s::getMessage);
      return s.error().getReason();
    }
  }

  /** {@code connect} retried for a few seconds: the unban reaches the other node by gossip. */
  private static Device await(java.util.concurrent.Callable<Device> connect) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        return connect.call();
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) throw e;
        Thread.sleep(200);
      }
    }
  }
}
