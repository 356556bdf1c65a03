package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.Envelope.CommandCase;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The thread model docs/sdk.md describes: listeners run on the client's event loop thread, so a
 * listener that blocks stalls its own client and every client on the same loop, but not clients
 * on other loops (the default: each client has its own). A listener that throws is logged and the
 * client goes on.
 */
class SlowListenerTest {
  /** How long the slow listener blocks at most; far above what "promptly" allows the other client. */
  private static final long BLOCK_SECONDS = 10;
  /** What "promptly" means for the client that is not blocked. */
  private static final long PROMPT_MS = 2_000;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch slowEntered = new CountDownLatch(1);
  private final AtomicBoolean slowReturned = new AtomicBoolean();

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  /** Blocks in its first onItems until {@link #release} (at most BLOCK_SECONDS). */
  private final ClientListener slow = new ClientListener() {
    @Override
    public void onItems(List<Item> items) {
      slowEntered.countDown();
      try {
        release.await(BLOCK_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      slowReturned.set(true);
    }
  };

  private final List<Long> fastItems = new CopyOnWriteArrayList<>();
  private final List<String> fastThreads = new CopyOnWriteArrayList<>();
  private final ClientListener fast = new ClientListener() {
    @Override
    public void onItems(List<Item> items) {
      fastThreads.add(Thread.currentThread().getName());
      items.forEach(i -> fastItems.add(i.getSeq()));
    }
  };

  @Test
  void aBlockedListenerDoesNotStallAClientOnAnotherLoop() throws Exception {
    ScriptedServer slowServer = server();
    ScriptedServer fastServer = server();
    connect(slowServer, options(slowServer, slow)); // each client makes its own loop: the default
    connect(fastServer, options(fastServer, fast));
    InsyncClient fastClient = (InsyncClient) toClose.get(toClose.size() - 1);
    answerFirstSyncWithNothing(fastServer);

    blockTheSlowListener(slowServer);
    long t0 = System.nanoTime();

    // the other client sends, gets its ack, and receives items, all while the first one is blocked
    CompletableFuture<SendAck> sent = fastClient.send("f-1", "bob", Envelopes.text("hi"));
    ScriptedServer.Received send = fastServer.next(CommandCase.SEND);
    send.reply(Envelope.newBuilder().setRequestId(send.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId("f-1").setSeq(1)).build());
    assertEquals(1, sent.get(PROMPT_MS, TimeUnit.MILLISECONDS).getSeq());
    send.conn().writeAndFlush(Envelope.newBuilder()
        .setNotify(Notify.newBuilder().setLatestSeq(2).addItems(item(1)).addItems(item(2))).build());
    assertEquals(2, fastServer.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(List.of(1L, 2L), fastItems);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(tookMs < PROMPT_MS, "the other client took " + tookMs + " ms");
    assertFalse(slowReturned.get(), "the slow listener was blocked all the while");
    assertNull(slowServer.poll(0), "and its client sent nothing meanwhile (its Ack waits for onItems)");

    // released, the slow client carries on: it stores the key and acks
    release.countDown();
    assertEquals(1, slowServer.next(CommandCase.ACK).env().getAck().getSyncKey());
  }

  @Test
  void aBlockedListenerStallsEveryClientOnTheSameLoop() throws Exception {
    NioEventLoopGroup oneThread = new NioEventLoopGroup(1, new DefaultThreadFactory("shared-loop", true));
    toClose.add(() -> oneThread.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    ScriptedServer slowServer = server();
    ScriptedServer fastServer = server();
    connect(slowServer, options(slowServer, slow).eventLoopGroup(oneThread));
    connect(fastServer, options(fastServer, fast).eventLoopGroup(oneThread));
    InsyncClient fastClient = (InsyncClient) toClose.get(toClose.size() - 1);
    answerFirstSyncWithNothing(fastServer);

    blockTheSlowListener(slowServer);
    CompletableFuture<SendAck> sent = fastClient.send("f-1", "bob", Envelopes.text("hi"));
    assertNull(fastServer.poll(1_000), "the send waits behind the blocked listener on the shared thread");
    release.countDown();
    ScriptedServer.Received send = fastServer.next(CommandCase.SEND);
    send.reply(Envelope.newBuilder().setRequestId(send.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId("f-1").setSeq(1)).build());
    assertEquals(1, sent.get(5, TimeUnit.SECONDS).getSeq());
  }

  @Test
  void listenersRunOnTheClientsEventLoopThread() throws Exception {
    ScriptedServer server = server();
    connect(server, options(server, fast));
    ScriptedServer.Received sync = server.next(CommandCase.SYNC);
    sync.reply(page(sync, 1, 1));
    server.next(CommandCase.ACK);
    assertEquals(1, fastThreads.size());
    assertTrue(fastThreads.get(0).startsWith("insync-client"), fastThreads.get(0));

    NioEventLoopGroup shared = new NioEventLoopGroup(1, new DefaultThreadFactory("app-io", true));
    toClose.add(() -> shared.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    ScriptedServer other = server();
    connect(other, options(other, fast).eventLoopGroup(shared));
    ScriptedServer.Received sync2 = other.next(CommandCase.SYNC);
    sync2.reply(page(sync2, 1, 1));
    other.next(CommandCase.ACK);
    assertTrue(fastThreads.get(1).startsWith("app-io"), fastThreads.get(1));
  }

  @Test
  void aListenerThatThrowsIsLoggedAndTheKeyMovesOnAnyway() throws Exception {
    InMemorySyncKeyStore store = new InMemorySyncKeyStore();
    List<Long> seen = new CopyOnWriteArrayList<>();
    ClientListener throwing = new ClientListener() {
      @Override
      public void onItems(List<Item> items) {
        items.forEach(i -> seen.add(i.getSeq()));
        throw new IllegalStateException("the application's database is down (a test)");
      }
    };
    ScriptedServer server = server();
    connect(server, options(server, throwing).syncKeyStore(store));
    ScriptedServer.Received sync = server.next(CommandCase.SYNC);
    sync.reply(page(sync, 2, 1, 2));
    // the items count as handed over: stored key and Ack move past them, they are not offered again
    assertEquals(2, server.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(2, store.load());
    sync.conn().writeAndFlush(Envelope.newBuilder()
        .setNotify(Notify.newBuilder().setLatestSeq(3).addItems(item(3))).build());
    assertEquals(3, server.next(CommandCase.ACK).env().getAck().getSyncKey(), "the client goes on");
    assertEquals(List.of(1L, 2L, 3L), seen);
  }

  // ---------------------------------------------------------------- helpers

  /** Answers the slow client's first sync with an item and waits until its listener blocks on it. */
  private void blockTheSlowListener(ScriptedServer slowServer) throws Exception {
    ScriptedServer.Received sync = slowServer.next(CommandCase.SYNC);
    sync.reply(page(sync, 1, 1));
    assertTrue(slowEntered.await(5, TimeUnit.SECONDS), "the slow listener got its items");
  }

  /** The sync after AuthOk: nothing new (an answer is due before Notify items are taken inline). */
  private static void answerFirstSyncWithNothing(ScriptedServer server) throws Exception {
    ScriptedServer.Received sync = server.next(CommandCase.SYNC);
    sync.reply(page(sync, 0));
  }

  private ScriptedServer server() {
    ScriptedServer s = new ScriptedServer();
    toClose.add(s);
    return s;
  }

  private static ClientOptions.Builder options(ScriptedServer server, ClientListener listener) {
    // ackInterval zero: every Ack goes out at once, so a missing one means a stalled loop
    return ClientOptions.builder().address(server.address()).token("v1.token").listener(listener)
        .ackInterval(Duration.ZERO).backoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  /** Creates a client (closed after the test) and connects it. */
  private void connect(ScriptedServer server, ClientOptions.Builder options) throws Exception {
    InsyncClient client = InsyncClient.create(options.build());
    toClose.add(client);
    CompletableFuture<AuthOk> connecting = client.connect();
    server.acceptAuth(0);
    connecting.get(5, TimeUnit.SECONDS);
  }

  private static Envelope page(ScriptedServer.Received to, long key, long... seqs) {
    SyncResult.Builder b = SyncResult.newBuilder().setSyncKey(key);
    for (long s : seqs) {
      b.addItems(item(s));
    }
    return Envelope.newBuilder().setRequestId(to.env().getRequestId()).setSyncResult(b).build();
  }

  private static Item item(long seq) {
    return Item.newBuilder().setSeq(seq).setFrom("bob").setTo("alice").setContent(Envelopes.text("m" + seq)).build();
  }
}
