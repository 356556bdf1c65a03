package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Steady 1:1 load through the real SDK for the failure tests: {@code 2 x pairs} users, each the
 * partner of one other, one device each holding every node's address (the SDK starts at a random
 * one, so devices spread over the nodes, and moves to another when its node dies). Sends go round
 * robin at a fixed rate; every send, ack and ack time is recorded, and the inboxes are checked
 * afterwards: exactly once, gapless, in the sender's order, nothing missing.
 */
final class PairLoad implements AutoCloseable {
  private record Sent(String id, String from, long submittedNanos) {}

  private final List<String> users = new ArrayList<>();
  private final Map<String, InsyncClient> clients = new HashMap<>();
  private final List<Sent> sent = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<SendAck>> futures = new CopyOnWriteArrayList<>();
  private final Map<String, SendAck> acked = new ConcurrentHashMap<>();
  private final Map<String, Long> ackedAt = new ConcurrentHashMap<>();
  private final AtomicInteger disconnects = new AtomicInteger();
  private final Map<String, List<String>> events = new ConcurrentHashMap<>();
  private final long t0 = System.nanoTime();
  private final AtomicLong counter = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pair-load");
    t.setDaemon(true);
    return t;
  });

  PairLoad(String run, int pairs, int... ports) {
    this(run, pairs, null, ports);
  }

  /** With {@code access} (a node's {@code /insync/access}, or null) asked before each connect. */
  PairLoad(String run, int pairs, java.net.URI access, int... ports) {
    for (int i = 0; i < 2 * pairs; i++) users.add("p" + i + "-" + run);
    for (String u : users) {
      ClientOptions.Builder b = ClientOptions.builder().keepSendOrder(true)
          .token(TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(u, "phone", Instant.now().plus(Duration.ofHours(1))))
          .syncKeyStore(new InMemorySyncKeyStore())
          .requestTimeout(Duration.ofSeconds(5))
          .sendRetryTimeout(Duration.ofSeconds(150))
          .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
          .listener(new ClientListener() {
            @Override
            public void onDisconnected(Throwable cause) {
              disconnects.incrementAndGet();
              event(u, "disconnected " + cause);
            }

            @Override
            public void onConnected(io.insync.protocol.AuthOk ok) {
              event(u, "connected");
            }
          });
      for (int p : ports) b.address("127.0.0.1", p);
      if (access != null) b.accessUrl(java.net.URI.create(access + "?user=" + u));
      clients.put(u, InsyncClient.create(b.build()));
    }
  }

  private void event(String u, String what) {
    events.computeIfAbsent(u, k -> new CopyOnWriteArrayList<>())
        .add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + "ms " + what);
  }

  /** The {@code n} users served again last after {@code sinceNanos}, with their connection events (for reports). */
  String slowest(long sinceNanos, int n) {
    Map<String, Long> first = new HashMap<>();
    for (Sent s : sent) {
      Long at = ackedAt.get(s.id());
      if (s.submittedNanos() > sinceNanos && at != null) first.merge(s.from(), at, Math::min);
    }
    StringBuilder b = new StringBuilder("since=" + TimeUnit.NANOSECONDS.toMillis(sinceNanos - t0) + "ms");
    first.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n).forEach(e ->
        b.append("\n  ").append(e.getKey()).append(" (partner ").append(partnerOf(users, e.getKey())).append(") after ")
            .append(TimeUnit.NANOSECONDS.toMillis(e.getValue() - sinceNanos)).append("ms; events ")
            .append(events.getOrDefault(e.getKey(), List.of())));
    return b.toString();
  }

  List<String> users() {
    return List.copyOf(users);
  }

  static String partnerOf(List<String> users, String u) {
    int i = users.indexOf(u);
    return users.get(i % 2 == 0 ? i + 1 : i - 1);
  }

  void connectAll() throws Exception {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (InsyncClient c : clients.values()) all.add(c.connect());
    for (CompletableFuture<?> f : all) f.get(60, TimeUnit.SECONDS);
  }

  /** Sends {@code perSecond} messages a second in all, round robin over the users, until {@link #stop()}. */
  void start(int perSecond) {
    long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
    timer.scheduleAtFixedRate(this::sendOne, 0, period, TimeUnit.NANOSECONDS);
  }

  private void sendOne() {
    long k = counter.getAndIncrement();
    String from = users.get((int) (k % users.size()));
    String id = from + "-" + (k / users.size());
    sent.add(new Sent(id, from, System.nanoTime()));
    futures.add(clients.get(from).send(id, partnerOf(users, from), Envelopes.text(id)).whenComplete((ack, err) -> {
      if (ack != null) {
        acked.put(id, ack);
        ackedAt.put(id, System.nanoTime());
      }
    }));
  }

  void stop() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(10, TimeUnit.SECONDS);
  }

  int sentCount() {
    return sent.size();
  }

  int ackedCount() {
    return acked.size();
  }

  /** How often a device lost its connection (and reconnected, possibly elsewhere). */
  int disconnects() {
    return disconnects.get();
  }

  /** Waits until at least {@code n} sends were acked; false if {@code timeout} passes first. */
  boolean awaitAcked(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acked.size() < n && System.nanoTime() < deadline) Thread.sleep(20);
    return acked.size() >= n;
  }

  /** Waits for every send's outcome; asserts each was acked (the SDK retries under the same id). */
  void awaitAllAcked(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (CompletableFuture<SendAck> f : futures) {
      f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    assertEquals(sent.size(), acked.size(), "every send acked");
  }

  /**
   * The time from {@code sinceNanos} until every user had one send acked that was submitted after
   * it (each ack needs the sender's and the partner's entities, wherever they now live); empty if
   * some user has none yet.
   */
  java.util.OptionalLong servedAgainAfter(long sinceNanos) {
    Map<String, Long> first = new HashMap<>();
    for (Sent s : sent) {
      Long at = ackedAt.get(s.id());
      if (s.submittedNanos() > sinceNanos && at != null) first.merge(s.from(), at, Math::min);
    }
    if (first.size() < users.size()) return java.util.OptionalLong.empty();
    long last = first.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    return java.util.OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(last - sinceNanos));
  }

  /**
   * Reads every user's whole inbox through {@code readPorts} and checks it: seqs 1..n without a gap;
   * every item once; every acked message once in its sender's and once in its recipient's inbox; a
   * recipient has its partner's messages in the order of the sender's own inbox (the acks' seqs);
   * nothing but what was sent. Items whose id {@code extra} accepts (for example sends the test
   * injected itself) may appear at most once and are not counted.
   */
  void verifyInboxes(Predicate<String> extra, int... readPorts) throws Exception {
    Map<String, List<String>> sentBy = new HashMap<>();
    for (Sent s : sent) sentBy.computeIfAbsent(s.from(), k -> new ArrayList<>()).add(s.id());
    for (String u : users) {
      String partner = partnerOf(users, u);
      List<Item> inbox;
      try (TestDevice reader = Inboxes.connect(u, "reader", readPorts)) {
        inbox = Inboxes.readAll(reader, null);
      }
      for (int i = 0; i < inbox.size(); i++) assertEquals(i + 1, inbox.get(i).getSeq(), u + ": gapless from 1");
      Map<String, Integer> copies = Inboxes.copies(inbox);
      copies.forEach((id, n) -> assertEquals(1, n, u + ": " + id + " once"));
      List<String> mine = sentBy.getOrDefault(u, List.of());
      List<String> theirs = sentBy.getOrDefault(partner, List.of());
      for (String id : mine) assertTrue(copies.containsKey(id), u + ": own message " + id + " in own inbox");
      for (String id : theirs) assertTrue(copies.containsKey(id), u + ": " + id + " from " + partner + " delivered");
      long counted = inbox.stream().filter(it -> !extra.test(it.getClientMsgId())).count();
      assertEquals(mine.size() + theirs.size(), counted, u + ": nothing but what was sent");
      long lastSenderSeq = 0;
      long lastSent = -1;
      for (Item it : inbox) {
        if (!it.getFrom().equals(partner) || extra.test(it.getClientMsgId())) continue;
        long senderSeq = acked.get(it.getClientMsgId()).getSeq();
        assertTrue(senderSeq > lastSenderSeq, u + ": " + it.getClientMsgId() + " in the sender's inbox order");
        lastSenderSeq = senderSeq;
        // and in the order the sender's application sent them, retries across the failover included
        long sentAs = Long.parseLong(it.getClientMsgId().substring(it.getClientMsgId().lastIndexOf('-') + 1));
        assertTrue(sentAs > lastSent, u + ": " + it.getClientMsgId() + " in the order it was sent");
        lastSent = sentAs;
      }
    }
  }

  /** Items the servers sent the devices again after they had them, dropped by the SDK. */
  long duplicatesDropped() {
    return clients.values().stream().mapToLong(InsyncClient::duplicateItemsDropped).sum();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    clients.values().forEach(InsyncClient::close);
  }
}
