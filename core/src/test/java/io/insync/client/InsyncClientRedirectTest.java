package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.Envelope.CommandCase;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK follows a {@code Redirect}: it leaves the gateway, connects to a named one (or one of its
 * own, never the leaving one), resumes from its sync key and resends what was not acked under the
 * same client_msg_id, so nothing is lost and nothing is sent twice as a new message.
 */
class InsyncClientRedirectTest {
  private final List<ScriptedServer> servers = new ArrayList<>();
  private InsyncClient client;
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<Long> delivered = new CopyOnWriteArrayList<>();

  private final ClientListener recorder = new ClientListener() {
    @Override
    public void onConnected(AuthOk authOk) {
      events.add("connected");
    }

    @Override
    public void onDisconnected(Throwable cause) {
      events.add("disconnected");
    }

    @Override
    public void onRedirect(io.insync.protocol.Redirect redirect) {
      events.add("redirect " + redirect.getReason());
    }

    @Override
    public void onItems(List<Item> items) {
      items.forEach(i -> delivered.add(i.getSeq()));
    }
  };

  @AfterEach
  void stop() {
    if (client != null) client.close();
    servers.forEach(ScriptedServer::close);
  }

  private ScriptedServer server() {
    ScriptedServer s = new ScriptedServer();
    servers.add(s);
    return s;
  }

  private ClientOptions.Builder options(List<InetSocketAddress> addresses) {
    return ClientOptions.builder().addresses(addresses).token("v1.test-token").listener(recorder)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  private static String hostPort(ScriptedServer s) {
    return s.address().getHostString() + ":" + s.address().getPort();
  }

  private static Envelope redirect(int graceMs, String... tcp) {
    return Envelopes.redirect(List.of(tcp), List.of(), "node leaving", graceMs);
  }

  private static Envelope ack(ScriptedServer.Received to, long seq) {
    String id = to.env().getSend().getClientMsgId();
    return Envelope.newBuilder().setRequestId(to.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId(id).setSeq(seq)).build();
  }

  private static Envelope page(ScriptedServer.Received to, long key, long... seqs) {
    SyncResult.Builder r = SyncResult.newBuilder().setSyncKey(key);
    for (long s : seqs) {
      r.addItems(Item.newBuilder().setSeq(s).setFrom("bob").setTo("alice").setContent(Envelopes.text("m" + s)));
    }
    return Envelope.newBuilder().setRequestId(to.env().getRequestId()).setSyncResult(r).build();
  }

  @Test
  void followsTheRedirectResumesFromItsKeyAndResendsUnackedSendsUnderTheSameId() throws Exception {
    ScriptedServer leaving = server();
    ScriptedServer other = server();
    InMemorySyncKeyStore store = new InMemorySyncKeyStore(3);
    // the client knows only the leaving gateway: it can reach the other one only through the Redirect
    client = InsyncClient.create(options(List.of(leaving.address())).syncKeyStore(store).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = leaving.acceptAuth(3);
    connected.get(5, TimeUnit.SECONDS);
    ScriptedServer.Received firstSync = leaving.next(CommandCase.SYNC);
    assertEquals(3, firstSync.env().getSync().getSyncKey());
    firstSync.reply(page(firstSync, 3));

    CompletableFuture<SendAck> acked = client.send("m-1", "bob", Envelopes.text("acked before"));
    ScriptedServer.Received s1 = leaving.next(CommandCase.SEND);
    s1.reply(ack(s1, 4));
    assertEquals(4, acked.get(5, TimeUnit.SECONDS).getSeq());
    CompletableFuture<SendAck> inFlight = client.send("m-2", "bob", Envelopes.text("unanswered"));
    ScriptedServer.Received s2 = leaving.next(CommandCase.SEND);

    auth.conn().writeAndFlush(redirect(200, hostPort(other))); // m-2 is never answered here
    assertTrue(auth.conn().closeFuture().await(5, TimeUnit.SECONDS), "the client closes the leaving connection");

    other.acceptAuth(5);
    Map<CommandCase, ScriptedServer.Received> got = new HashMap<>();
    while (!got.containsKey(CommandCase.SEND) || !got.containsKey(CommandCase.SYNC)) {
      ScriptedServer.Received r = other.next();
      assertTrue(got.put(r.env().getCommandCase(), r) == null || r.env().hasAck(), () -> "once: " + r.env());
    }
    ScriptedServer.Received resent = got.get(CommandCase.SEND);
    assertNotNull(resent, "the unacked send is resent: " + got.keySet());
    assertEquals("m-2", resent.env().getSend().getClientMsgId(), "under the same client_msg_id");
    assertEquals(s2.env().getSend().getContent(), resent.env().getSend().getContent());
    assertEquals(1, resent.env().getSend().getAttempt(), "marked as a retry");
    ScriptedServer.Received sync = got.get(CommandCase.SYNC);
    assertNotNull(sync, "the sync resumes at once: " + got.keySet());
    assertEquals(3, sync.env().getSync().getSyncKey(), "from the key it had");
    resent.reply(ack(resent, 5));
    sync.reply(page(sync, 5, 4, 5));
    assertEquals(5, inFlight.get(5, TimeUnit.SECONDS).getSeq());
    ScriptedServer.Received r;
    do {
      r = other.next();
      assertEquals(CommandCase.ACK, r.env().getCommandCase(), "nothing but acks now: " + r.env());
    } while (r.env().getAck().getSyncKey() != 5);
    assertEquals(List.of(4L, 5L), delivered);

    while ((r = other.poll(300)) != null) {
      assertEquals(CommandCase.ACK, r.env().getCommandCase(), "m-1 (acked) is never sent again, m-2 only once");
    }
    assertEquals(1, leaving.connectionCount(), "never back to the leaving gateway");
    assertEquals(List.of("connected", "redirect node leaving", "disconnected", "connected"), events);
  }

  @Test
  void aRedirectNamingNothingUsableFallsBackToTheOwnListAndNeverTheLeavingGateway() throws Exception {
    ScriptedServer a = server();
    ScriptedServer b = server();
    client = InsyncClient.create(options(List.of(a.address(), b.address())).autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer first = awaitAuth(a, b);
    ScriptedServer second = first == a ? b : a;
    connected.get(5, TimeUnit.SECONDS);
    CompletableFuture<SendAck> sent = client.send("m-9", "bob", Envelopes.text("x"));
    ScriptedServer.Received send = first.next(CommandCase.SEND);
    // names itself and an address that does not parse: both skipped
    send.conn().writeAndFlush(redirect(0, hostPort(first), "not-an-address"));
    second.acceptAuth(0);
    ScriptedServer.Received again = second.next(CommandCase.SEND);
    assertEquals("m-9", again.env().getSend().getClientMsgId());
    again.reply(ack(again, 1));
    assertEquals(1, sent.get(5, TimeUnit.SECONDS).getSeq());
    assertEquals(1, first.connectionCount(), "the leaving gateway is not tried again");
  }

  @Test
  void withOnlyTheLeavingGatewayKnownTheClientComesBackToItWhenItReturns() throws Exception {
    ScriptedServer only = server();
    client = InsyncClient.create(options(List.of(only.address())).autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = only.acceptAuth(0);
    connected.get(5, TimeUnit.SECONDS);
    auth.conn().writeAndFlush(redirect(0));
    ScriptedServer.Received back = only.acceptAuth(0); // e.g. the node restarted on the same address
    assertTrue(back.conn() != auth.conn());
    assertEquals(2, only.connectionCount());
  }

  /** The server that got the client's first Auth; answers it with AuthOk. */
  private static ScriptedServer awaitAuth(ScriptedServer a, ScriptedServer b) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < until) {
      for (ScriptedServer s : List.of(a, b)) {
        ScriptedServer.Received r = s.poll(20);
        if (r != null) {
          assertEquals(CommandCase.AUTH, r.env().getCommandCase());
          r.reply(Envelope.newBuilder().setRequestId(r.env().getRequestId())
              .setAuthOk(AuthOk.newBuilder().setUserId("alice").setDeviceId("phone").setHeartbeatSeconds(30)).build());
          return s;
        }
      }
    }
    throw new AssertionError("no Auth within 5 s");
  }
}
