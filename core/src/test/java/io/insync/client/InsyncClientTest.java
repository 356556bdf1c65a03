package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.Envelope.CommandCase;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InsyncClientTest {
  private ScriptedServer server;
  private InsyncClient client;
  private final List<List<Item>> delivered = new CopyOnWriteArrayList<>();
  private final List<Object> events = new CopyOnWriteArrayList<>();

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
    public void onItems(List<Item> items) {
      delivered.add(items);
    }

    @Override
    public void onSyncReset(long staleKey) {
      events.add("reset " + Long.toUnsignedString(staleKey) + " after " + seqs());
    }
  };

  private List<Long> seqs() {
    List<Long> seqs = new ArrayList<>();
    delivered.forEach(batch -> batch.forEach(i -> seqs.add(i.getSeq())));
    return seqs;
  }

  @BeforeEach
  void start() {
    server = new ScriptedServer();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    server.close();
  }

  private ClientOptions.Builder options() {
    return ClientOptions.builder()
        .address(server.address())
        .token("v1.test-token")
        .listener(recorder)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  private static Envelope reply(ScriptedServer.Received to, SyncResult result) {
    return Envelope.newBuilder().setRequestId(to.env().getRequestId()).setSyncResult(result).build();
  }

  private static Item item(long seq) {
    return Item.newBuilder().setSeq(seq).setFrom("bob").setTo("alice").setContent(Envelopes.text("m" + seq)).build();
  }

  private static SyncResult page(long key, boolean more, long... seqs) {
    SyncResult.Builder b = SyncResult.newBuilder().setSyncKey(key).setHasMore(more);
    for (long s : seqs) {
      b.addItems(item(s));
    }
    return b.build();
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(5, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void connectSendsAuthAndCompletesOnAuthOk() throws Exception {
    client = InsyncClient.create(options().autoSync(false).clientVersion("test/1").build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.acceptAuth(0);
    assertEquals("v1.test-token", auth.env().getAuth().getToken());
    assertEquals("test/1", auth.env().getAuth().getClientVersion());
    assertNotEquals(0, auth.env().getRequestId());
    assertEquals("alice", await(connected).getUserId());
    assertTrue(client.isConnected());
    assertEquals(List.of("connected"), events);
    assertEquals("alice", await(client.connect()).getUserId(), "connect when connected completes at once");
  }

  @Test
  void authFailedStopsTheClientAndFailsPendingSends() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    // queued before connect: a send task queued after it could run after the AUTH_FAILED is read
    // (Netty runs I/O before queued tasks) and fail with "authentication failed; connect again"
    CompletableFuture<SendAck> queued = client.send("bob", Envelopes.text("hi"));
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.next(CommandCase.AUTH);
    auth.reply(Envelopes.error(auth.env().getRequestId(), ErrorCode.AUTH_FAILED, "expired", 0, true));
    ServerErrorException e = assertInstanceOf(ServerErrorException.class, failure(connected));
    assertEquals(ErrorCode.AUTH_FAILED, e.code());
    assertTrue(e.getMessage().contains("will not reconnect"), e.getMessage());
    assertInstanceOf(ServerErrorException.class, failure(queued));
    assertFalse(client.isConnected());
    assertNull(server.poll(300), "no reconnect after AUTH_FAILED");
    assertEquals(1, server.connectionCount());
  }

  @Test
  void sessionReplacedStopsTheClientInsteadOfTakingTheDeviceBackInALoop() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.acceptAuth(0);
    await(connected);
    CompletableFuture<SendAck> pendingSend = client.send("bob", Envelopes.text("hi"));
    server.next(CommandCase.SEND);
    auth.conn().writeAndFlush(Envelopes.error(0, ErrorCode.SESSION_REPLACED, "device connected elsewhere", 0, true))
        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    ServerErrorException e = assertInstanceOf(ServerErrorException.class, failure(pendingSend));
    assertEquals(ErrorCode.SESSION_REPLACED, e.code());
    assertNull(server.poll(500), "no reconnect after SESSION_REPLACED");
    assertEquals(1, server.connectionCount());
    assertFalse(client.isConnected());
  }

  @Test
  void sendIsRetriedWithTheSameIdAfterTheConnectionDrops() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);

    CompletableFuture<SendAck> sent = client.send("bob", Envelopes.text("hello"));
    ScriptedServer.Received first = server.next(CommandCase.SEND);
    String id = first.env().getSend().getClientMsgId();
    assertEquals("bob", first.env().getSend().getTo());
    first.conn().close().syncUninterruptibly(); // the server drops the attempt

    server.acceptAuth(0);
    ScriptedServer.Received second = server.next(CommandCase.SEND);
    assertEquals(id, second.env().getSend().getClientMsgId(), "same client_msg_id");
    assertNotEquals(first.conn(), second.conn());
    second.reply(Envelope.newBuilder().setRequestId(second.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId(id).setSeq(12)).build());
    assertEquals(12, await(sent).getSeq());
    assertEquals(List.of("connected", "disconnected", "connected"), events);
  }

  @Test
  void sendIsRetriedAfterUnavailableAndAfterATimeout() throws Exception {
    // the request timeout also bounds the login: 2 s, not less, or a loaded machine times the Auth out and the
    // client closes the connection before the scripted server answers it (seen with a load average of 14)
    client = InsyncClient.create(options().autoSync(false).requestTimeout(Duration.ofSeconds(2)).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);

    CompletableFuture<SendAck> sent = client.send("m-42", "bob", Envelopes.text("hello"));
    ScriptedServer.Received first = server.next(CommandCase.SEND);
    long t0 = System.nanoTime();
    first.reply(Envelopes.error(first.env().getRequestId(), ErrorCode.UNAVAILABLE, "busy", 150, false));
    ScriptedServer.Received second = server.next(CommandCase.SEND);
    assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(140), "waited retry_after_ms");
    // no answer to the second attempt: after the request timeout, a third under the same id
    ScriptedServer.Received third = server.next(CommandCase.SEND);
    Set<Long> requestIds = new HashSet<>(List.of(first.env().getRequestId(), second.env().getRequestId(),
        third.env().getRequestId()));
    assertEquals(3, requestIds.size(), "fresh request id per attempt");
    for (ScriptedServer.Received r : List.of(first, second, third)) {
      assertEquals("m-42", r.env().getSend().getClientMsgId());
    }
    third.reply(Envelope.newBuilder().setRequestId(third.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId("m-42").setSeq(5)).build());
    assertEquals(5, await(sent).getSeq());
  }

  @Test
  void notifyTriggersAPagedSyncDeliveringItemsInOrderThenAcks() throws Exception {
    InMemorySyncKeyStore store = new InMemorySyncKeyStore();
    client = InsyncClient.create(options().syncKeyStore(store).syncPageSize(2).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    ScriptedServer.Received initial = server.next(CommandCase.SYNC); // sync after AuthOk
    assertEquals(0, initial.env().getSync().getSyncKey());
    initial.reply(reply(initial, page(0, false)));

    initial.conn().writeAndFlush(Envelope.newBuilder().setNotify(Notify.newBuilder().setLatestSeq(3)).build());
    ScriptedServer.Received p1 = server.next(CommandCase.SYNC);
    assertEquals(0, p1.env().getSync().getSyncKey());
    assertEquals(2, p1.env().getSync().getMaxItems());
    p1.reply(reply(p1, page(2, true, 1, 2)));
    ScriptedServer.Received p2 = server.next(CommandCase.SYNC);
    assertEquals(2, p2.env().getSync().getSyncKey());
    p2.reply(reply(p2, page(3, false, 3)));
    ScriptedServer.Received ack = server.next(CommandCase.ACK);
    assertEquals(3, ack.env().getAck().getSyncKey());

    List<Long> seqs = new ArrayList<>();
    delivered.forEach(batch -> batch.forEach(i -> seqs.add(i.getSeq())));
    assertEquals(List.of(1L, 2L, 3L), seqs);
    assertEquals(3, client.syncKey());
    assertEquals(3, store.load());

    // a Notify that is not newer than the key starts nothing
    ack.conn().writeAndFlush(Envelope.newBuilder().setNotify(Notify.newBuilder().setLatestSeq(3)).build());
    assertNull(server.poll(200));
  }

  @Test
  void inlineItemsThatContinueTheKeyAreTakenWithoutASync() throws Exception {
    InMemorySyncKeyStore store = new InMemorySyncKeyStore();
    client = InsyncClient.create(options().syncKeyStore(store).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    ScriptedServer.Received initial = server.next(CommandCase.SYNC);
    initial.reply(reply(initial, page(0, false)));

    // items 1..2 inline, continuing key 0: delivered and acked, no Sync request
    initial.conn().writeAndFlush(Envelope.newBuilder()
        .setNotify(Notify.newBuilder().setLatestSeq(2).addItems(item(1)).addItems(item(2))).build());
    ScriptedServer.Received ack = server.next(CommandCase.ACK);
    assertEquals(2, ack.env().getAck().getSyncKey());
    assertEquals(2, store.load());

    // a gap (key 2, inline starts at 4) falls back to a sync from the key
    ack.conn().writeAndFlush(Envelope.newBuilder()
        .setNotify(Notify.newBuilder().setLatestSeq(4).addItems(item(4))).build());
    ScriptedServer.Received sync = server.next(CommandCase.SYNC);
    assertEquals(2, sync.env().getSync().getSyncKey());
    sync.reply(reply(sync, page(4, false, 3, 4)));
    assertEquals(4, server.next(CommandCase.ACK).env().getAck().getSyncKey());

    List<Long> seqs = new ArrayList<>();
    delivered.forEach(batch -> batch.forEach(i -> seqs.add(i.getSeq())));
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs);
  }

  @Test
  void reconnectResumesFromTheStoredKey() throws Exception {
    InMemorySyncKeyStore store = new InMemorySyncKeyStore(5);
    client = InsyncClient.create(options().syncKeyStore(store).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(6);
    await(connected);
    ScriptedServer.Received s1 = server.next(CommandCase.SYNC);
    assertEquals(5, s1.env().getSync().getSyncKey());
    s1.reply(reply(s1, page(6, false, 6)));
    assertEquals(6, server.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(6, store.load());

    s1.conn().close();
    server.acceptAuth(7);
    ScriptedServer.Received s2 = server.next(CommandCase.SYNC);
    assertEquals(6, s2.env().getSync().getSyncKey(), "resumes from the stored key");
    // a server that re-sends seq 6 does not make the client deliver it twice
    s2.reply(reply(s2, page(7, false, 6, 7)));
    assertEquals(7, server.next(CommandCase.ACK).env().getAck().getSyncKey());
    List<Long> seqs = new ArrayList<>();
    delivered.forEach(batch -> batch.forEach(i -> seqs.add(i.getSeq())));
    assertEquals(List.of(6L, 7L), seqs);
  }

  @Test
  void outstandingRequestsFailWhenTheConnectionClosesOrTheClientCloses() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);

    CompletableFuture<SyncResult> lost = client.sync(0, 10);
    ScriptedServer.Received s = server.next(CommandCase.SYNC);
    s.conn().close();
    assertInstanceOf(ConnectionLostException.class, failure(lost));

    server.acceptAuth(0);
    assertTrue(await(client.connect()).isInitialized());
    CompletableFuture<SyncResult> pendingSync = client.sync(0, 10);
    CompletableFuture<SendAck> pendingSend = client.send("bob", Envelopes.text("x"));
    server.next(CommandCase.SYNC);
    server.next(CommandCase.SEND);
    client.close();
    assertInstanceOf(ConnectionLostException.class, failure(pendingSync));
    assertInstanceOf(ConnectionLostException.class, failure(pendingSend));
    assertFalse(client.isConnected());
    assertInstanceOf(ConnectionLostException.class, failure(client.sync(0, 1)));
  }

  @Test
  void callsRightAfterCloseFailAtOnceInsteadOfHanging() throws Exception {
    for (int round = 0; round < 20; round++) {
      InsyncClient c = InsyncClient.create(options().autoSync(false).build());
      CompletableFuture<AuthOk> connected = c.connect();
      server.acceptAuth(0);
      await(connected);
      c.close();
      CompletableFuture<SyncResult> after = c.sync(0, 1);
      ExecutionException e = assertThrows(ExecutionException.class, () -> after.get(2, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionLostException.class, e.getCause());
    }
  }

  @Test
  void repliesAreMatchedOnRequestId() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    CompletableFuture<SyncResult> a = client.sync(0, 1);
    CompletableFuture<SyncResult> b = client.sync(10, 1);
    ScriptedServer.Received ra = server.next(CommandCase.SYNC);
    ScriptedServer.Received rb = server.next(CommandCase.SYNC);
    rb.reply(reply(rb, page(11, false, 11)));
    ra.reply(reply(ra, page(1, true, 1)));
    assertEquals(11, await(b).getSyncKey());
    assertEquals(1, await(a).getSyncKey());
    assertEquals(0, client.syncKey(), "sync() has no side effects");
  }

  @Test
  void connectFailsWhenNoAddressAnswersWithinTheConnectRetryTimeout() throws Exception {
    java.net.InetSocketAddress dead;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      dead = new java.net.InetSocketAddress("127.0.0.1", s.getLocalPort());
    }
    client = InsyncClient.create(ClientOptions.builder().address(dead).token("t")
        .backoff(Duration.ofMillis(20), Duration.ofMillis(100)).connectRetryTimeout(Duration.ofMillis(300)).build());
    Throwable e = failure(client.connect());
    assertInstanceOf(ConnectionLostException.class, e);
    assertTrue(e.getMessage().contains("within PT0.3S"), e.getMessage());
  }

  @Test
  void heartbeatAnswerWithANewerSeqTriggersSync() throws Exception {
    client = InsyncClient.create(options().heartbeatInterval(Duration.ofMillis(100)).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    ScriptedServer.Received initial = server.next(CommandCase.SYNC);
    initial.reply(reply(initial, page(0, false)));
    ScriptedServer.Received hb = server.next(CommandCase.HEARTBEAT);
    hb.reply(Envelopes.heartbeat(hb.env().getRequestId(), 1));
    ScriptedServer.Received sync;
    do {
      sync = server.next();
    } while (sync.env().getCommandCase() == CommandCase.HEARTBEAT);
    assertEquals(CommandCase.SYNC, sync.env().getCommandCase());
    assertEquals(0, sync.env().getSync().getSyncKey());
  }

  // ---------------------------------------------------------------- connect retries (issue 5, item 7)

  @Test
  void connectIsRetriedAfterAFatalUnavailableAnswerAndSucceedsOnTheSecond() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.next(CommandCase.AUTH);
    long t0 = System.nanoTime();
    auth.reply(Envelopes.error(auth.env().getRequestId(), ErrorCode.UNAVAILABLE,
        "user service not available, retry", 300, true));
    auth.conn().close(); // fatal: the server closes after the frame
    ScriptedServer.Received second = server.acceptAuth(0);
    assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(290), "waited retry_after_ms");
    assertNotEquals(auth.conn(), second.conn(), "on a new connection");
    assertEquals("alice", await(connected).getUserId());
    assertTrue(client.isConnected());
    assertEquals(List.of("connected"), events);
  }

  @Test
  void aFatalUnavailablePushBeforeTheCloseIsRetriedToo() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.next(CommandCase.AUTH);
    auth.reply(Envelopes.error(0, ErrorCode.UNAVAILABLE, "gateway is full", 50, true)); // request id 0
    auth.conn().close();
    server.acceptAuth(0);
    assertEquals("alice", await(connected).getUserId());
  }

  @Test
  void connectWalksTheAddressListAfterRateLimited() throws Exception {
    try (ScriptedServer other = new ScriptedServer()) {
      client = InsyncClient.create(options().autoSync(false)
          .addresses(List.of(server.address(), other.address())).build());
      CompletableFuture<AuthOk> connected = client.connect();
      ScriptedServer[] first = new ScriptedServer[1];
      ScriptedServer.Received auth = nextFromEither(server, other, first);
      auth.reply(Envelopes.error(auth.env().getRequestId(), ErrorCode.RATE_LIMITED, "slow down", 20, false));
      ScriptedServer next = first[0] == server ? other : server;
      next.acceptAuth(0);
      assertEquals("alice", await(connected).getUserId());
    }
  }

  private static ScriptedServer.Received nextFromEither(ScriptedServer a, ScriptedServer b, ScriptedServer[] which)
      throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < until) {
      for (ScriptedServer s : List.of(a, b)) {
        ScriptedServer.Received r = s.poll(20);
        if (r != null) {
          which[0] = s;
          return r;
        }
      }
    }
    throw new AssertionError("neither server received anything within 5 s");
  }

  @Test
  void connectGivesUpWithTheLastAnswerWhenTheRetryTimeoutIsUp() throws Exception {
    client = InsyncClient.create(options().autoSync(false).connectRetryTimeout(Duration.ofMillis(400)).build());
    CompletableFuture<AuthOk> connected = client.connect();
    int answered = 0;
    while (!connected.isDone()) {
      ScriptedServer.Received auth = server.poll(200);
      if (auth != null) {
        auth.reply(Envelopes.error(auth.env().getRequestId(), ErrorCode.UNAVAILABLE, "still joining", 50, false));
        answered++;
      }
    }
    ServerErrorException e = assertInstanceOf(ServerErrorException.class, failure(connected));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(answered >= 2, "retried before giving up: " + answered);
    assertTrue(e.getMessage().contains("gave up connecting after PT0.4S"), e.getMessage());
  }

  @Test
  void anAuthErrorThatRetryingCannotCureFailsConnectAtOnce() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    ScriptedServer.Received auth = server.next(CommandCase.AUTH);
    auth.reply(Envelopes.error(auth.env().getRequestId(), ErrorCode.BAD_REQUEST, "malformed", 0, false));
    assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(ServerErrorException.class, failure(connected)).code());
    assertNull(server.poll(300), "no second attempt");
    assertEquals(1, server.connectionCount());
  }

  // ---------------------------------------------------------------- resync (issue 5, item 8)

  @Test
  void badRequestToTheAutomaticSyncResyncsFromZeroAndTellsTheListener() throws Exception {
    InMemorySyncKeyStore store = new InMemorySyncKeyStore(50);
    client = InsyncClient.create(options().syncKeyStore(store).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(3);
    await(connected);
    ScriptedServer.Received s1 = server.next(CommandCase.SYNC);
    assertEquals(50, s1.env().getSync().getSyncKey());
    s1.reply(Envelopes.error(s1.env().getRequestId(), ErrorCode.BAD_REQUEST,
        "sync key 50 is ahead of the inbox (latest 3)", 0, false));
    ScriptedServer.Received s2 = server.next(CommandCase.SYNC);
    assertEquals(0, s2.env().getSync().getSyncKey(), "resync from 0");
    assertEquals(0, store.load(), "the reset key is stored");
    s2.reply(reply(s2, page(3, false, 1, 2, 3)));
    assertEquals(3, server.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(List.of(1L, 2L, 3L), seqs());
    assertEquals(3, store.load());
    assertEquals(3, client.syncKey());
    assertEquals(List.of("connected", "reset 50 after []"), events);
  }

  @Test
  void aNotifyWithALatestSeqOf2pow63TriggersASync() throws Exception {
    client = InsyncClient.create(options().build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    ScriptedServer.Received s1 = server.next(CommandCase.SYNC);
    s1.reply(reply(s1, page(0, false)));
    s1.conn().writeAndFlush(Envelope.newBuilder().setNotify(Notify.newBuilder().setLatestSeq(Long.MIN_VALUE)).build());
    assertEquals(0, server.next(CommandCase.SYNC).env().getSync().getSyncKey(), "2^63 is ahead of key 0");
  }

  // ---------------------------------------------------------------- send retries (issue 5, item 10)

  @Test
  void rateLimitedSendsAreRetriedUnderTheSameIdAFewAtATime() throws Exception {
    client = InsyncClient.create(options().autoSync(false).maxRetriesInFlight(2).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    List<CompletableFuture<SendAck>> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add(client.send("r-" + i, "bob", Envelopes.text("m" + i)));
    }
    for (int i = 0; i < 5; i++) {
      ScriptedServer.Received r = server.next(CommandCase.SEND);
      r.reply(Envelopes.error(r.env().getRequestId(), ErrorCode.RATE_LIMITED, "slow down", 30, false));
    }
    java.util.Deque<ScriptedServer.Received> outstanding = new java.util.ArrayDeque<>();
    outstanding.add(server.next(CommandCase.SEND));
    outstanding.add(server.next(CommandCase.SEND));
    assertNull(server.poll(400), "only maxRetriesInFlight (2) retries are outstanding");
    Set<String> retried = new HashSet<>();
    while (!outstanding.isEmpty()) {
      ScriptedServer.Received r = outstanding.poll();
      String id = r.env().getSend().getClientMsgId();
      assertTrue(retried.add(id), "each retried once: " + id);
      r.reply(Envelope.newBuilder().setRequestId(r.env().getRequestId())
          .setSendAck(SendAck.newBuilder().setClientMsgId(id).setSeq(retried.size())).build());
      if (retried.size() + outstanding.size() < 5) {
        outstanding.add(server.next(CommandCase.SEND)); // an answer lets the next retry out
      }
    }
    assertNull(server.poll(100));
    assertEquals(Set.of("r-0", "r-1", "r-2", "r-3", "r-4"), retried);
    for (CompletableFuture<SendAck> f : sent) {
      assertTrue(await(f).getSeq() > 0);
    }
  }

  @Test
  void aRequestOutstandingWhenTheServerDropsTheConnectionFailsAndASendIsResent() throws Exception {
    client = InsyncClient.create(options().autoSync(false).build());
    CompletableFuture<AuthOk> connected = client.connect();
    server.acceptAuth(0);
    await(connected);
    CompletableFuture<SyncResult> sync = client.sync(0, 10);
    CompletableFuture<SendAck> send = client.send("d-1", "bob", Envelopes.text("x"));
    ScriptedServer.Received s = server.next(CommandCase.SYNC);
    server.next(CommandCase.SEND);
    s.conn().close();
    assertInstanceOf(ConnectionLostException.class, failure(sync));
    assertFalse(send.isDone(), "a send outlives its connection");
    server.acceptAuth(0);
    ScriptedServer.Received again = server.next(CommandCase.SEND);
    assertEquals("d-1", again.env().getSend().getClientMsgId());
    again.reply(Envelope.newBuilder().setRequestId(again.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId("d-1").setSeq(1)).build());
    assertEquals(1, await(send).getSeq());
  }
}
