package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class SyncCursorTest {
  private static final long TWO_POW_63 = Long.MIN_VALUE; // 9223372036854775808 as uint64

  private record Request(long from, CompletableFuture<Envelope> reply) {
    void page(long key, boolean more, long... seqs) {
      SyncResult.Builder b = SyncResult.newBuilder().setSyncKey(key).setHasMore(more);
      for (long s : seqs) {
        b.addItems(item(s));
      }
      reply.complete(Envelope.newBuilder().setRequestId(1).setSyncResult(b).build());
    }

    void error(ErrorCode code, String reason, int retryAfterMs) {
      reply.complete(Envelopes.error(1, code, reason, retryAfterMs, false));
    }
  }

  private final Deque<Request> requests = new ArrayDeque<>();
  private final List<Long> acks = new ArrayList<>();
  private final List<String> heard = new ArrayList<>();
  private final ManualScheduler scheduler = new ManualScheduler();
  private boolean ready = true;

  private final SyncCursor.Link link = new SyncCursor.Link() {
    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public CompletableFuture<Envelope> sync(long from, int maxItems) {
      CompletableFuture<Envelope> f = new CompletableFuture<>();
      requests.add(new Request(from, f));
      return f;
    }

    @Override
    public void ack(long key) {
      acks.add(key);
    }
  };

  private final ClientListener listener = new ClientListener() {
    @Override
    public void onItems(List<Item> items) {
      items.forEach(i -> heard.add(Long.toUnsignedString(i.getSeq())));
    }

    @Override
    public void onSyncReset(long staleKey) {
      heard.add("reset " + Long.toUnsignedString(staleKey) + " (store at " + store.load() + ")");
    }
  };

  private InMemorySyncKeyStore store = new InMemorySyncKeyStore();

  private static Item item(long seq) {
    return Item.newBuilder().setSeq(seq).setFrom("bob").setTo("alice").setContent(Envelopes.text("m")).build();
  }

  private SyncCursor cursor(long storedKey) {
    store = new InMemorySyncKeyStore(storedKey);
    return new SyncCursor(store, listener, link, scheduler,
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(5)), true, 0);
  }

  @Test
  void badRequestToASyncResetsTheKeyToZeroAndDeliversTheInboxFromZero() {
    SyncCursor c = cursor(50);
    c.onConnected();
    Request first = requests.poll();
    assertEquals(50, first.from());
    first.error(ErrorCode.BAD_REQUEST, "sync key 50 is ahead of the inbox (latest 3)", 0);
    Request again = requests.poll();
    assertEquals(0, again.from(), "resyncs from 0 at once");
    assertEquals(0, c.key());
    assertEquals(0, store.load(), "the reset key is stored");
    again.page(3, false, 1, 2, 3);
    assertEquals(List.of("reset 50 (store at 50)", "1", "2", "3"), heard, "told before the store and the items");
    assertEquals(3, c.key());
    assertEquals(3, store.load());
    assertEquals(List.of(3L), acks);
  }

  @Test
  void itemsSentAgainAreDroppedAndCounted() {
    SyncCursor c = cursor(0);
    c.onConnected();
    requests.poll().page(3, false, 1, 2, 3);
    assertEquals(0, c.duplicatesDropped());
    c.onLatestSeq(5);
    requests.poll().page(5, false, 2, 3, 4, 5); // a server that resends what the device has
    assertEquals(List.of("1", "2", "3", "4", "5"), heard, "each seq handed over once");
    assertEquals(2, c.duplicatesDropped(), "2 and 3 came twice");
    assertEquals(5, c.key());
  }

  @Test
  void aBadRequestToASyncFromZeroDoesNotLoop() {
    SyncCursor c = cursor(0);
    c.onConnected();
    requests.poll().error(ErrorCode.BAD_REQUEST, "something else", 0);
    assertTrue(requests.isEmpty(), "no resync loop");
    assertTrue(heard.isEmpty());
    c.onLatestSeq(1);
    assertEquals(0, requests.poll().from(), "the next Notify tries again");
  }

  @Test
  void keysAndSeqsAreComparedUnsigned() {
    SyncCursor c = cursor(TWO_POW_63 - 1); // 2^63 - 1
    c.onConnected();
    Request r = requests.poll();
    r.page(TWO_POW_63 + 1, false, TWO_POW_63, TWO_POW_63 + 1);
    assertEquals(List.of("9223372036854775808", "9223372036854775809"), heard);
    assertEquals(TWO_POW_63 + 1, c.key());
    assertEquals(List.of(TWO_POW_63 + 1), acks);
    c.onLatestSeq(5);
    assertTrue(requests.isEmpty(), "5 is behind 2^63 + 1");
    c.onLatestSeq(-1); // 2^64 - 1
    assertEquals(TWO_POW_63 + 1, requests.poll().from());
  }

  @Test
  void aLatestSeqOf2pow63IsAheadOfASmallKey() {
    SyncCursor c = cursor(0);
    c.onConnected();
    requests.poll().page(0, false);
    c.onNotify(Notify.newBuilder().setLatestSeq(TWO_POW_63).build());
    assertEquals(0, requests.poll().from());
  }

  @Test
  void anAckOfAKeyAbove2pow63RaisesTheKey() {
    SyncCursor c = cursor(7);
    c.ack(TWO_POW_63);
    assertEquals(TWO_POW_63, c.key());
    c.ack(8);
    assertEquals(TWO_POW_63, c.key(), "keys only go up, unsigned");
    assertEquals(List.of(TWO_POW_63, 8L), acks);
  }

  @Test
  void transientFailuresRetryAfterABackoffAndNotifiesMeanwhileWait() {
    SyncCursor c = cursor(0);
    c.onConnected();
    requests.poll().error(ErrorCode.RATE_LIMITED, "slow down", 400);
    long delay = scheduler.requestedDelays().get(0);
    assertTrue(delay >= 400 && delay <= 500, "retry_after + jitter: " + delay);
    c.onLatestSeq(9);
    assertTrue(requests.isEmpty(), "a Notify during the wait does not bypass retry_after");
    scheduler.advance(delay);
    Request retry = requests.poll();
    assertEquals(0, retry.from());
    retry.reply().completeExceptionally(new TimeoutException("no reply"));
    long second = scheduler.requestedDelays().get(1);
    assertTrue(second <= 200, "second failure, window 200: " + second);
    scheduler.advance(second);
    requests.poll().page(9, false, 9);
    assertEquals(9, c.key());
  }

  @Test
  void aDisconnectStopsTheLoopAndDropsItsReplies() {
    SyncCursor c = cursor(0);
    c.onConnected();
    Request old = requests.poll();
    ready = false;
    c.onDisconnected();
    ready = true;
    c.onConnected();
    Request fresh = requests.poll();
    old.page(5, false, 1, 2, 3, 4, 5);
    assertTrue(heard.isEmpty(), "a reply from the old connection is ignored");
    fresh.page(2, false, 1, 2);
    assertEquals(List.of("1", "2"), heard);
  }

  @Test
  void inlineItemsThatContinueTheKeyNeedNoSync() {
    SyncCursor c = cursor(4);
    c.onConnected();
    requests.poll().page(4, false);
    c.onNotify(Notify.newBuilder().setLatestSeq(6).addItems(item(5)).addItems(item(6)).build());
    assertTrue(requests.isEmpty());
    assertEquals(List.of("5", "6"), heard);
    assertEquals(List.of(6L), acks);
  }
}
