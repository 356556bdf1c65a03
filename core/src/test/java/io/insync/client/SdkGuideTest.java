package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.guide.SdkGuideSnippets;
import io.insync.client.guide.SdkGuideSnippets.Messages;
import io.insync.client.guide.SdkGuideSnippets.Next;
import io.insync.client.guide.SdkGuideSnippets.Outbox;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.DeviceInfo;
import io.insync.protocol.DeviceList;
import io.insync.protocol.Done;
import io.insync.protocol.Envelope;
import io.insync.protocol.Envelope.CommandCase;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/sdk.md cannot rot: every {@code ```java} block in it must be a region of
 * SdkGuideSnippets (which the build compiles), and the snippets run here against ScriptedServer.
 */
class SdkGuideTest {
  private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
  private static final Path GUIDE = MODULE.resolve("../docs/sdk.md");
  private static final Path SNIPPETS = MODULE.resolve("src/test/java/io/insync/client/guide/SdkGuideSnippets.java");

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final ExecutorService app = Executors.newCachedThreadPool();

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    app.shutdownNow();
  }

  // ---------------------------------------------------------------- the text

  @Test
  void everyJavaBlockOfTheGuideIsASnippetTheBuildCompiles() throws IOException {
    Map<String, String> regions = regions(Files.readAllLines(SNIPPETS));
    Map<String, String> blocks = javaBlocks(Files.readAllLines(GUIDE));
    assertFalse(blocks.isEmpty(), "the guide has no java blocks");
    for (Map.Entry<String, String> b : blocks.entrySet()) {
      String region = regions.get(b.getKey());
      assertNotNull(region, "the guide shows snippet '" + b.getKey() + "', which SdkGuideSnippets does not mark");
      assertEquals(region, b.getValue(), "snippet '" + b.getKey() + "' in docs/sdk.md differs from SdkGuideSnippets");
    }
    assertEquals(regions.keySet(), blocks.keySet(), "every marked snippet is shown in the guide, once");
  }

  @Test
  void theCheckNoticesAChangedLineAndAnUnmarkedBlock() {
    Map<String, String> regions = regions(List.of("  // [snippet:a]", "    int x = 1;", "  // [end:a]"));
    assertEquals("int x = 1;", regions.get("a"));
    assertEquals("int x = 1;", javaBlocks(List.of("<!-- snippet:a -->", "```java", "int x = 1;", "```")).get("a"));
    assertFalse(regions.get("a").equals(
        javaBlocks(List.of("<!-- snippet:a -->", "```java", "int x = 2;", "```")).get("a")));
    assertThrows(AssertionError.class, () -> javaBlocks(List.of("text", "```java", "int x = 1;", "```")));
    assertThrows(AssertionError.class, () -> regions(List.of("// [snippet:a]", "int x;")));
  }

  /** NAME → the dedented lines between {@code // [snippet:NAME]} and {@code // [end:NAME]}. */
  static Map<String, String> regions(List<String> lines) {
    Map<String, String> out = new LinkedHashMap<>();
    String open = null;
    List<String> body = new ArrayList<>();
    for (String line : lines) {
      String t = line.trim();
      if (t.startsWith("// [snippet:") && t.endsWith("]")) {
        assertEquals(null, open, "snippet " + t + " starts inside " + open);
        open = t.substring("// [snippet:".length(), t.length() - 1);
        body.clear();
      } else if (t.startsWith("// [end:") && t.endsWith("]")) {
        assertEquals(open, t.substring("// [end:".length(), t.length() - 1), "end marker " + t);
        assertEquals(null, out.put(open, dedent(body)), "snippet " + open + " marked twice");
        open = null;
      } else if (open != null) {
        body.add(line);
      }
    }
    assertEquals(null, open, "snippet " + open + " has no end marker");
    return out;
  }

  /** NAME → every {@code ```java} block, which must follow a line {@code <!-- snippet:NAME -->}. */
  static Map<String, String> javaBlocks(List<String> lines) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).trim().equals("```java")) {
        continue;
      }
      String marker = i > 0 ? lines.get(i - 1).trim() : "";
      if (!marker.startsWith("<!-- snippet:") || !marker.endsWith("-->")) {
        throw new AssertionError("the ```java block at line " + (i + 1) + " of the guide has no <!-- snippet:NAME --> line");
      }
      String name = marker.substring("<!-- snippet:".length(), marker.length() - "-->".length()).trim();
      List<String> body = new ArrayList<>();
      int j = i + 1;
      while (j < lines.size() && !lines.get(j).trim().equals("```")) {
        body.add(lines.get(j++));
      }
      assertTrue(j < lines.size(), "the ```java block at line " + (i + 1) + " is not closed");
      assertEquals(null, out.put(name, dedent(body)), "snippet " + name + " shown twice");
      i = j;
    }
    return out;
  }

  /** Without the common leading indentation, trailing blanks and blank first and last lines. */
  static String dedent(List<String> lines) {
    List<String> kept = new ArrayList<>(lines.stream().map(String::stripTrailing).toList());
    while (!kept.isEmpty() && kept.get(0).isEmpty()) kept.remove(0);
    while (!kept.isEmpty() && kept.get(kept.size() - 1).isEmpty()) kept.remove(kept.size() - 1);
    int indent = kept.stream().filter(l -> !l.isEmpty())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return String.join("\n", kept.stream().map(l -> l.isEmpty() ? l : l.substring(indent)).toList());
  }

  // ---------------------------------------------------------------- the snippets, run

  @Test
  void tokenIsOneTheGatewayAccepts() throws Exception {
    String token = SdkGuideSnippets.issueToken(TokenSigner.DEV_SECRET, "alice", "phone");
    TokenSigner.Claims claims = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).verify(token, Instant.now());
    assertEquals("alice", claims.user());
    assertEquals("phone", claims.device());
    assertTrue(claims.expiresAt().isAfter(Instant.now().plus(Duration.ofDays(6))));
  }

  @Test
  void connectWithTwoAddressesThenTheListenerStoresItemsAndTheFileTheKey(@TempDir Path dir) throws Exception {
    ScriptedServer gw1 = server();
    ScriptedServer gw2 = server();
    MemoryMessages messages = new MemoryMessages(0);
    AtomicReference<String> status = new AtomicReference<>("new");
    ClientListener listener = SdkGuideSnippets.listener(messages, status);
    Future<InsyncClient> connecting = app.submit(() ->
        SdkGuideSnippets.connect(gw1.address(), gw2.address(), () -> "v1.token", dir, listener));

    ScriptedServer[] which = new ScriptedServer[1];
    ScriptedServer.Received auth = nextFromEither(gw1, gw2, which);
    assertEquals("v1.token", auth.env().getAuth().getToken());
    assertEquals("desktop", auth.env().getAuth().getPlatform());
    auth.reply(authOk(auth));
    InsyncClient client = connecting.get(5, TimeUnit.SECONDS);
    toClose.add(client);
    assertEquals("online", status.get());

    ScriptedServer.Received sync = which[0].next(CommandCase.SYNC);
    assertEquals(0, sync.env().getSync().getSyncKey());
    sync.reply(syncResult(sync, SyncResult.newBuilder().setSyncKey(2)
        .addItems(message(1, "hi")).addItems(readReceipt(2, 1)).build()));
    assertEquals(2, which[0].next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(List.of("1 hi"), messages.saved());
    assertEquals(List.of("bob read up to 1"), messages.receipts());
    assertEquals("2", Files.readString(dir.resolve("sync-key")), "FileSyncKeyStore holds the key");

    auth.conn().close(); // the gateway goes away: the client reconnects by itself
    waitFor(() -> "reconnecting".equals(status.get()));
    ScriptedServer.Received again = nextFromEither(gw1, gw2, which);
    again.reply(authOk(again));
    assertEquals(2, which[0].next(CommandCase.SYNC).env().getSync().getSyncKey(), "resumes from the key");
    waitFor(() -> "online".equals(status.get()));

    // the device is removed: the client stops instead of reconnecting
    again.conn().writeAndFlush(Envelopes.error(0, ErrorCode.AUTH_FAILED, "device desktop was removed", 0, true));
    waitFor(() -> "signed out".equals(status.get()));
    assertFalse(client.isConnected());
    assertEquals(null, gw1.poll(300), "no reconnect");
    assertEquals(null, gw2.poll(0));
  }

  @Test
  void sendRecordsTheAckAndEachFailureGetsTheNextStepTheGuideNames() throws Exception {
    ScriptedServer gw = server();
    MemoryOutbox outbox = new MemoryOutbox();
    InsyncClient client = connected(gw, options(gw));

    CompletableFuture<SendAck> sent = SdkGuideSnippets.send(client, outbox, "bob", "hi bob");
    ScriptedServer.Received send = gw.next(CommandCase.SEND);
    assertEquals("hi bob", send.env().getSend().getContent().getText());
    String id = send.env().getSend().getClientMsgId();
    assertEquals(Set.of(id), outbox.entries.keySet(), "in the outbox before the ack");
    send.reply(Envelope.newBuilder().setRequestId(send.env().getRequestId())
        .setSendAck(SendAck.newBuilder().setClientMsgId(id).setSeq(7)).build());
    assertEquals(7, sent.get(5, TimeUnit.SECONDS).getSeq());
    waitFor(() -> "acked 7".equals(outbox.outcomes.get(id)));

    assertEquals(Next.FIX_THE_MESSAGE, refusedWith(gw, client, outbox, ErrorCode.BAD_REQUEST));
    assertEquals(Next.GIVE_UP, refusedWith(gw, client, outbox, ErrorCode.FORBIDDEN));
    assertEquals(Next.RESEND_SAME_ID, refusedWith(gw, client, outbox, ErrorCode.INTERNAL));

    // a retried error is not the caller's: UNAVAILABLE is retried under the same id and then acked
    CompletableFuture<SendAck> busy = SdkGuideSnippets.send(client, outbox, "bob", "later");
    ScriptedServer.Received first = gw.next(CommandCase.SEND);
    first.reply(Envelopes.error(first.env().getRequestId(), ErrorCode.UNAVAILABLE, "busy", 10, false));
    ScriptedServer.Received retry = gw.next(CommandCase.SEND);
    assertEquals(first.env().getSend().getClientMsgId(), retry.env().getSend().getClientMsgId());
    retry.reply(Envelope.newBuilder().setRequestId(retry.env().getRequestId()).setSendAck(
        SendAck.newBuilder().setClientMsgId(retry.env().getSend().getClientMsgId()).setSeq(8)).build());
    assertEquals(8, busy.get(5, TimeUnit.SECONDS).getSeq());

    // closing fails what is outstanding: resend it under the same id with the next client
    CompletableFuture<SendAck> open = SdkGuideSnippets.send(client, outbox, "bob", "open");
    String openId = gw.next(CommandCase.SEND).env().getSend().getClientMsgId();
    SdkGuideSnippets.close(client);
    assertThrows(Exception.class, () -> open.get(5, TimeUnit.SECONDS));
    waitFor(() -> ("failed " + Next.RESEND_SAME_ID).equals(outbox.outcomes.get(openId)));
  }

  @Test
  void sendFailuresWithoutAServerErrorGetTheirNextStepToo() throws Exception {
    ScriptedServer gw = server();
    MemoryOutbox outbox = new MemoryOutbox();
    InsyncClient client = connected(gw, options(gw).sendRetryTimeout(Duration.ofMillis(300))
        .requestTimeout(Duration.ofSeconds(5)).maxFrameBytes(300));

    // never answered: TimeoutException after sendRetryTimeout
    CompletableFuture<SendAck> unanswered = SdkGuideSnippets.send(client, outbox, "bob", "anyone?");
    String id = gw.next(CommandCase.SEND).env().getSend().getClientMsgId();
    assertThrows(Exception.class, () -> unanswered.get(5, TimeUnit.SECONDS));
    waitFor(() -> ("failed " + Next.RESEND_SAME_ID).equals(outbox.outcomes.get(id)));

    // bigger than maxFrameBytes: refused by the client itself, nothing is sent
    CompletableFuture<SendAck> big = SdkGuideSnippets.send(client, outbox, "bob", "x".repeat(1000));
    assertThrows(Exception.class, () -> big.get(5, TimeUnit.SECONDS));
    waitFor(() -> outbox.outcomes.containsValue("failed " + Next.FIX_THE_MESSAGE));
    assertEquals(null, gw.poll(100));

    // the device was removed: the client stops and fails its sends with AUTH_FAILED
    CompletableFuture<SendAck> pending = SdkGuideSnippets.send(client, outbox, "bob", "bye");
    ScriptedServer.Received send = gw.next(CommandCase.SEND);
    send.conn().writeAndFlush(Envelopes.error(0, ErrorCode.AUTH_FAILED, "device phone was removed", 0, true));
    assertThrows(Exception.class, () -> pending.get(5, TimeUnit.SECONDS));
    String pendingId = send.env().getSend().getClientMsgId();
    waitFor(() -> ("failed " + Next.SIGN_IN_AGAIN).equals(outbox.outcomes.get(pendingId)));
  }

  @Test
  void resendSendsWhatTheOutboxHoldsUnderTheSameIds() throws Exception {
    ScriptedServer gw = server();
    MemoryOutbox outbox = new MemoryOutbox();
    outbox.put("left-1", "bob", Content.newBuilder().setText("one").build());
    outbox.put("left-2", "cy", Content.newBuilder().setText("two").build());
    InsyncClient client = connected(gw, options(gw));
    SdkGuideSnippets.resend(client, outbox);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 2; i++) {
      ScriptedServer.Received r = gw.next(CommandCase.SEND);
      ids.add(r.env().getSend().getClientMsgId());
      r.reply(Envelope.newBuilder().setRequestId(r.env().getRequestId()).setSendAck(
          SendAck.newBuilder().setClientMsgId(r.env().getSend().getClientMsgId()).setSeq(10 + i)).build());
    }
    assertEquals(Set.of("left-1", "left-2"), ids);
    waitFor(() -> outbox.unacked().isEmpty());
  }

  @Test
  void theDatabaseKeyStoreResumesFromTheApplicationsKey() throws Exception {
    ScriptedServer gw = server();
    MemoryMessages messages = new MemoryMessages(5);
    InsyncClient client = InsyncClient.create(options(gw).autoSync(true)
        .syncKeyStore(new SdkGuideSnippets.DatabaseKeyStore(messages)).build());
    toClose.add(client);
    CompletableFuture<AuthOk> connecting = client.connect();
    gw.acceptAuth(6);
    connecting.get(5, TimeUnit.SECONDS);
    ScriptedServer.Received sync = gw.next(CommandCase.SYNC);
    assertEquals(5, sync.env().getSync().getSyncKey());
    sync.reply(syncResult(sync, SyncResult.newBuilder().setSyncKey(6).addItems(message(6, "six")).build()));
    assertEquals(6, gw.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(6, messages.loadKey());
  }

  @Test
  void thePullerSavesPagesOnItsOwnThreadAcksThemAndStartsOverAfterBadRequest() throws Exception {
    ScriptedServer gw = server();
    MemoryMessages messages = new MemoryMessages(0);
    SdkGuideSnippets.Puller puller = new SdkGuideSnippets.Puller(messages);
    toClose.add(puller);
    InsyncClient client = InsyncClient.create(options(gw).autoSync(false).listener(puller)
        .ackInterval(Duration.ZERO).build());
    toClose.add(client);
    puller.start(client);
    CompletableFuture<AuthOk> connecting = client.connect();
    gw.acceptAuth(3);
    connecting.get(5, TimeUnit.SECONDS);

    ScriptedServer.Received p1 = gw.next(CommandCase.SYNC);
    assertEquals(0, p1.env().getSync().getSyncKey());
    assertEquals(100, p1.env().getSync().getMaxItems());
    p1.reply(syncResult(p1, SyncResult.newBuilder().setSyncKey(2).setHasMore(true)
        .addItems(message(1, "a")).addItems(message(2, "b")).build()));
    assertEquals(2, gw.next(CommandCase.ACK).env().getAck().getSyncKey(), "acked after it was saved");
    ScriptedServer.Received p2 = gw.next(CommandCase.SYNC);
    assertEquals(2, p2.env().getSync().getSyncKey());
    p2.reply(syncResult(p2, SyncResult.newBuilder().setSyncKey(3).addItems(message(3, "c")).build()));
    assertEquals(3, gw.next(CommandCase.ACK).env().getAck().getSyncKey());
    assertEquals(List.of("1 a", "2 b", "3 c"), messages.saved());
    assertEquals(3, messages.loadKey());
    assertFalse(messages.savedOnEventLoop, "saved on the puller's thread");

    // a Notify pulls again; a BAD_REQUEST (key ahead of the inbox) starts over from 0
    p2.conn().writeAndFlush(Envelope.newBuilder().setNotify(Notify.newBuilder().setLatestSeq(4)).build());
    ScriptedServer.Received p3 = gw.next(CommandCase.SYNC);
    assertEquals(3, p3.env().getSync().getSyncKey());
    p3.reply(Envelopes.error(p3.env().getRequestId(), ErrorCode.BAD_REQUEST, "sync key 3 is ahead of the inbox", 0,
        false));
    assertEquals(0, gw.next(CommandCase.SYNC).env().getSync().getSyncKey());
    assertEquals(List.of(), messages.saved());
  }

  @Test
  void devicesListsThenRemoves() throws Exception {
    ScriptedServer gw = server();
    AtomicReference<String> status = new AtomicReference<>("new");
    InsyncClient client = connected(gw, options(gw).listener(SdkGuideSnippets.listener(new MemoryMessages(0), status)));
    Future<?> run = app.submit(() -> {
      SdkGuideSnippets.devices(client);
      return null;
    });
    ScriptedServer.Received list = gw.next(CommandCase.LIST_DEVICES);
    list.reply(Envelope.newBuilder().setRequestId(list.env().getRequestId()).setDeviceList(DeviceList.newBuilder()
        .addDevices(DeviceInfo.newBuilder().setDevice("phone").setPlatform("phone").setOnline(true))
        .addDevices(DeviceInfo.newBuilder().setDevice("old-tablet").setPlatform("tablet"))).build());
    ScriptedServer.Received remove = gw.next(CommandCase.REMOVE_DEVICE);
    assertEquals("old-tablet", remove.env().getRemoveDevice().getDevice());
    remove.reply(Envelope.newBuilder().setRequestId(remove.env().getRequestId()).setDone(Done.getDefaultInstance())
        .build());
    run.get(5, TimeUnit.SECONDS);
    SdkGuideSnippets.close(client);
    assertEquals("closed", status.get());
  }

  @Test
  void sharedLoopCreatesAndClosesItsClients() {
    ScriptedServer gw = server();
    SdkGuideSnippets.sharedLoop(gw.address(), List.of("t1", "t2", "t3"));
  }

  // ---------------------------------------------------------------- helpers

  private ScriptedServer server() {
    ScriptedServer s = new ScriptedServer();
    toClose.add(s);
    return s;
  }

  private static ClientOptions.Builder options(ScriptedServer gw) {
    return ClientOptions.builder().address(gw.address()).token("v1.token").autoSync(false)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  private InsyncClient connected(ScriptedServer gw, ClientOptions.Builder options) throws Exception {
    InsyncClient client = InsyncClient.create(options.build());
    toClose.add(client);
    CompletableFuture<AuthOk> connecting = client.connect();
    gw.acceptAuth(0);
    connecting.get(5, TimeUnit.SECONDS);
    return client;
  }

  private static Next refusedWith(ScriptedServer gw, InsyncClient client, MemoryOutbox outbox, ErrorCode code)
      throws Exception {
    CompletableFuture<SendAck> f = SdkGuideSnippets.send(client, outbox, "bob", "text");
    ScriptedServer.Received r = gw.next(CommandCase.SEND);
    r.reply(Envelopes.error(r.env().getRequestId(), code, "no", 0, false));
    assertThrows(Exception.class, () -> f.get(5, TimeUnit.SECONDS));
    String id = r.env().getSend().getClientMsgId();
    waitFor(() -> outbox.outcomes.containsKey(id));
    return Next.valueOf(outbox.outcomes.get(id).substring("failed ".length()));
  }

  private static Envelope authOk(ScriptedServer.Received auth) {
    return Envelope.newBuilder().setRequestId(auth.env().getRequestId()).setAuthOk(AuthOk.newBuilder()
        .setUserId("alice").setDeviceId("desktop").setHeartbeatSeconds(30)).build();
  }

  private static Envelope syncResult(ScriptedServer.Received to, SyncResult result) {
    return Envelope.newBuilder().setRequestId(to.env().getRequestId()).setSyncResult(result).build();
  }

  private static Item message(long seq, String text) {
    return Item.newBuilder().setSeq(seq).setFrom("bob").setTo("alice").setKind(ItemKind.MESSAGE)
        .setContent(Content.newBuilder().setText(text)).build();
  }

  private static Item readReceipt(long seq, long upTo) {
    return Item.newBuilder().setSeq(seq).setFrom("bob").setTo("alice").setKind(ItemKind.READ_RECEIPT)
        .setReceiptUpTo(upTo).build();
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
    throw new AssertionError("neither gateway received anything within 5 s");
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < until, "condition not met within 5 s");
      Thread.sleep(10);
    }
  }

  /** Messages in memory; notes whether anything was saved on an SDK event loop thread. */
  static final class MemoryMessages implements Messages {
    private final List<String> saved = new ArrayList<>();
    private final List<String> receipts = new ArrayList<>();
    private long key;
    volatile boolean savedOnEventLoop;

    MemoryMessages(long key) {
      this.key = key;
    }

    @Override
    public synchronized void save(Item item) {
      saved.add(item.getSeq() + " " + item.getContent().getText());
    }

    @Override
    public synchronized void receipt(String peer, long upTo) {
      receipts.add(peer + " read up to " + upTo);
    }

    @Override
    public synchronized void saveAll(List<Item> items, long newKey) {
      if (Thread.currentThread().getName().startsWith("insync-client")) {
        savedOnEventLoop = true;
      }
      items.forEach(this::save);
      key = newKey;
    }

    @Override
    public synchronized void clear() {
      saved.clear();
      key = 0;
    }

    @Override
    public synchronized long loadKey() {
      return key;
    }

    @Override
    public synchronized void saveKey(long newKey) {
      key = newKey;
    }

    synchronized List<String> saved() {
      return List.copyOf(saved);
    }

    synchronized List<String> receipts() {
      return List.copyOf(receipts);
    }
  }

  /** An outbox in memory; {@code outcomes}: id → "acked SEQ" or "failed NEXT". */
  static final class MemoryOutbox implements Outbox {
    final Map<String, Entry> entries = new ConcurrentHashMap<>();
    final Map<String, String> outcomes = new ConcurrentHashMap<>();

    @Override
    public void put(String id, String to, Content content) {
      entries.put(id, new Entry(id, to, content));
    }

    @Override
    public void acked(String id, long seq) {
      entries.remove(id);
      outcomes.put(id, "acked " + seq);
    }

    @Override
    public void failed(String id, Next next) {
      outcomes.put(id, "failed " + next);
    }

    @Override
    public List<Entry> unacked() {
      return List.copyOf(entries.values());
    }
  }
}
