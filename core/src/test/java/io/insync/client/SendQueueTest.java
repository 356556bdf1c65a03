package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.SendAck;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class SendQueueTest {
  private static final Content HELLO = Envelopes.text("hello");

  /** One transmission the queue made; the test answers it. */
  private record Attempt(String clientMsgId, int attempt, CompletableFuture<Envelope> reply, String after) {
    void error(ErrorCode code, int retryAfterMs) {
      reply.complete(Envelopes.error(7, code, "busy", retryAfterMs, false));
    }

    void ack(long seq) {
      reply.complete(Envelope.newBuilder().setRequestId(7)
          .setSendAck(SendAck.newBuilder().setClientMsgId(clientMsgId).setSeq(seq)).build());
    }
  }

  private final class FakeLink implements SendQueue.Link {
    boolean ready = true;
    final Deque<Attempt> sent = new ArrayDeque<>();

    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public CompletableFuture<Envelope> send(String clientMsgId, String to, Content content, int attempt,
        String after) {
      CompletableFuture<Envelope> reply = new CompletableFuture<>();
      sent.add(new Attempt(clientMsgId, attempt, reply, after));
      return reply;
    }
  }

  private final ManualScheduler scheduler = new ManualScheduler();
  private final FakeLink link = new FakeLink();
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(3));

  private SendQueue queue(int maxRetriesInFlight) {
    return new SendQueue(link, scheduler, backoff, Duration.ofSeconds(60), maxRetriesInFlight, true);
  }

  private static CompletableFuture<SendAck> submit(SendQueue q, String id) {
    CompletableFuture<SendAck> f = new CompletableFuture<>();
    q.submit(id, "bob", HELLO, f);
    return f;
  }

  private static Throwable cause(CompletableFuture<?> f) {
    assertTrue(f.isCompletedExceptionally(), "failed by now");
    return assertThrows(CompletionException.class, f::join).getCause();
  }

  private static long acked(CompletableFuture<SendAck> f) {
    assertTrue(f.isDone() && !f.isCompletedExceptionally(), "acked by now");
    return f.join().getSeq();
  }

  private long lastDelay() {
    List<Long> d = scheduler.requestedDelays();
    return d.get(d.size() - 1);
  }

  @Test
  void eachSendNamesThePreviousOneSoTheServerKeepsTheirOrder() {
    SendQueue q = queue(8);
    submit(q, "m-1");
    submit(q, "m-2");
    submit(q, "m-3");
    assertEquals("", link.sent.poll().after(), "the first send of a client waits for nothing");
    assertEquals("m-1", link.sent.poll().after());
    assertEquals("m-2", link.sent.poll().after());
  }

  @Test
  void withoutKeepSendOrderNoSendNamesAnother() {
    SendQueue q = new SendQueue(link, scheduler, backoff, Duration.ofSeconds(60), 8, false);
    submit(q, "m-1");
    submit(q, "m-2");
    assertEquals("", link.sent.poll().after());
    assertEquals("", link.sent.poll().after(), "the default: each send retried on its own, no OUT_OF_ORDER ever");
  }

  @Test
  void aSendAfterAnAckedOneWaitsForNothing() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f1 = submit(q, "m-1");
    link.sent.poll().ack(1);
    assertEquals(1, acked(f1));
    submit(q, "m-2");
    assertEquals("", link.sent.poll().after(), "m-1 is stored: no order to ask for (nor a window to find it in)");
  }

  @Test
  void outOfOrderParksOnTheEarlierSendAndGoesTheMomentItIsAcked() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f1 = submit(q, "m-1");
    CompletableFuture<SendAck> f2 = submit(q, "m-2");
    Attempt first = link.sent.poll();
    Attempt second = link.sent.poll();
    int timersBefore = scheduler.requestedDelays().size();
    // m-1's request was lost on the way (a shard hand-off), m-2 reached the server first
    second.error(ErrorCode.OUT_OF_ORDER, 200);
    assertFalse(f2.isDone(), "not failed: it waits for m-1");
    assertEquals(timersBefore, scheduler.requestedDelays().size(), "parked: no retry timer, no backoff");
    scheduler.advance(10_000);
    assertTrue(link.sent.stream().noneMatch(a -> a.clientMsgId().equals("m-2")), "not sent again while m-1 is out");
    first.error(ErrorCode.UNAVAILABLE, 100); // the server is busy: m-1 is retried after its own backoff
    scheduler.advance(lastDelay());
    Attempt m1 = link.sent.poll();
    assertEquals("m-1", m1.clientMsgId());
    assertTrue(link.sent.isEmpty(), "behind a refused Send the chain waits for its ack (no burst into a busy server)");
    m1.ack(1);
    Attempt m2 = link.sent.poll();
    assertEquals("m-2", m2.clientMsgId(), "sent the moment m-1 is acked");
    assertEquals("m-1", m2.after(), "still stored only after m-1");
    m2.ack(2);
    assertEquals(1, acked(f1));
    assertEquals(2, acked(f2));
    assertEquals(0, q.size());
  }

  @Test
  void aParkedSendGoesTheMomentItsPredecessorIsAcked() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f1 = submit(q, "m-1");
    CompletableFuture<SendAck> f2 = submit(q, "m-2");
    Attempt first = link.sent.poll();
    link.sent.poll().error(ErrorCode.OUT_OF_ORDER, 200); // m-1's request is slow, not lost
    assertTrue(link.sent.isEmpty(), "parked while m-1 is in flight");
    first.ack(1);
    Attempt m2 = link.sent.poll();
    assertEquals("m-2", m2.clientMsgId(), "sent again the moment m-1 is acked, with no timer");
    m2.ack(2);
    assertEquals(1, acked(f1));
    assertEquals(2, acked(f2));
  }

  @Test
  void aParkedSendFollowsItsPredecessorsRetryAfterALostRequest() {
    SendQueue q = queue(8);
    submit(q, "m-1");
    CompletableFuture<SendAck> f2 = submit(q, "m-2");
    Attempt first = link.sent.poll();
    link.sent.poll().error(ErrorCode.OUT_OF_ORDER, 200); // m-1's request was lost in a hand-off
    first.reply().completeExceptionally(new TimeoutException("no answer"));
    scheduler.advance(lastDelay());
    assertEquals("m-1", link.sent.poll().clientMsgId());
    Attempt m2 = link.sent.poll();
    assertEquals("m-2", m2.clientMsgId(), "follows m-1's retry right behind it, on the same connection");
    m2.ack(2);
    assertEquals(2, acked(f2));
  }

  @Test
  void aParkedChainDrainsInOrderWithoutGrowingBackoff() {
    SendQueue q = queue(8);
    List<CompletableFuture<SendAck>> f = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      f.add(submit(q, "m-" + i));
    }
    List<Attempt> firstRound = List.copyOf(link.sent);
    link.sent.clear();
    int timers = scheduler.requestedDelays().size();
    firstRound.get(0).reply().completeExceptionally(new TimeoutException("request lost")); // m-1 lost
    for (int i = 1; i < 5; i++) {
      firstRound.get(i).error(ErrorCode.OUT_OF_ORDER, 200); // each arrived before its predecessor was stored
    }
    assertEquals(timers + 1, scheduler.requestedDelays().size(), "one retry timer (m-1's): the others are parked");
    scheduler.advance(lastDelay());
    List<Attempt> burst = List.copyOf(link.sent);
    link.sent.clear();
    assertEquals(List.of("m-1", "m-2", "m-3", "m-4", "m-5"), burst.stream().map(Attempt::clientMsgId).toList(),
        "m-1's retry with the parked chain right behind it, in the order sent, in one burst");
    for (int i = 0; i < 5; i++) burst.get(i).ack(i + 1);
    for (int i = 0; i < 5; i++) {
      assertEquals(i + 1, acked(f.get(i)));
    }
    assertEquals(0, q.retriesInFlight(), "the followers took no retry slot");
  }

  @Test
  void aSendParkedOnAFailedOneGoesWithoutTheOrder() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f1 = submit(q, "m-1");
    CompletableFuture<SendAck> f2 = submit(q, "m-2");
    Attempt first = link.sent.poll();
    Attempt second = link.sent.poll();
    second.error(ErrorCode.OUT_OF_ORDER, 200); // parks on m-1
    first.error(ErrorCode.BAD_REQUEST, 0); // m-1 is refused for good: the application gets the error
    assertInstanceOf(ServerErrorException.class, cause(f1));
    Attempt retry = link.sent.poll();
    assertEquals("m-2", retry.clientMsgId(), "released at once when m-1 failed");
    assertEquals("", retry.after(), "no order to wait for once m-1 is over: m-2 would wait forever");
    retry.ack(1);
    assertEquals(1, acked(f2));
  }

  @Test
  void outOfOrderAfterTheEarlierSendIsOverGoesAtOnceWithoutTheOrder() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f1 = submit(q, "m-1");
    CompletableFuture<SendAck> f2 = submit(q, "m-2");
    Attempt first = link.sent.poll();
    Attempt second = link.sent.poll();
    first.error(ErrorCode.BAD_REQUEST, 0);
    assertInstanceOf(ServerErrorException.class, cause(f1));
    second.error(ErrorCode.OUT_OF_ORDER, 200); // the server never stored m-1 and never will
    Attempt retry = link.sent.poll();
    assertEquals("m-2", retry.clientMsgId(), "sent again without a timer");
    assertEquals("", retry.after());
    retry.ack(1);
    assertEquals(1, acked(f2));
  }

  @Test
  void rateLimitedIsRetriedUnderTheSameIdNotBeforeRetryAfter() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f = submit(q, "m-1");
    Attempt first = link.sent.poll();
    assertEquals(0, first.attempt(), "a first attempt says so");
    first.error(ErrorCode.RATE_LIMITED, 500);
    long delay = lastDelay();
    assertTrue(delay >= 500 && delay <= 600, "retry_after + jitter in [0, 100]: " + delay);
    scheduler.advance(delay - 1);
    assertTrue(link.sent.isEmpty(), "not before the delay");
    scheduler.advance(1);
    Attempt retry = link.sent.poll();
    assertEquals("m-1", retry.clientMsgId());
    assertEquals(1, retry.attempt(), "a retry carries how often it was sent before (servers serve first attempts first)");
    retry.ack(12);
    assertEquals(12, acked(f));
    assertEquals(0, q.size());
    assertEquals(0, scheduler.live(), "deadline cancelled");
  }

  @Test
  void unavailableTimeoutAndNoReplyAreRetriedWithGrowingBackoffOtherErrorsFail() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f = submit(q, "m-2");
    link.sent.poll().error(ErrorCode.UNAVAILABLE, 0);
    scheduler.advance(lastDelay());
    link.sent.poll().error(ErrorCode.TIMEOUT, 0);
    long second = lastDelay();
    assertTrue(second <= backoff.windowMs(1), "second retry within window 1: " + second);
    scheduler.advance(second);
    link.sent.poll().reply().completeExceptionally(new TimeoutException("no reply"));
    scheduler.advance(lastDelay());
    link.sent.poll().error(ErrorCode.BAD_REQUEST, 0);
    ServerErrorException e = assertInstanceOf(ServerErrorException.class, cause(f));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(link.sent.isEmpty());
    assertEquals(0, q.size());
  }

  @Test
  void aBurstOfRejectedSendsComesBackSpreadOutAndAFewAtATime() {
    SendQueue q = queue(4);
    List<CompletableFuture<SendAck>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(submit(q, "b-" + i));
    }
    assertEquals(50, link.sent.size(), "first attempts are not held back");
    int before = scheduler.requestedDelays().size();
    while (!link.sent.isEmpty()) {
      link.sent.poll().error(ErrorCode.RATE_LIMITED, 1000);
    }
    List<Long> delays = scheduler.requestedDelays().subList(before, before + 50);
    Set<Long> distinct = new HashSet<>(delays);
    assertTrue(delays.stream().allMatch(d -> d >= 1000 && d <= 1100), "all honour retry_after: " + delays);
    assertTrue(distinct.size() > 30, "jittered, not one instant: " + distinct.size() + " distinct of 50");

    scheduler.advance(1100); // every retry is due now
    assertEquals(4, link.sent.size(), "only maxRetriesInFlight retries go out");
    assertEquals(4, q.retriesInFlight());
    int acked = 0;
    while (!link.sent.isEmpty()) {
      link.sent.poll().ack(++acked); // each answer lets one more out
      assertTrue(q.retriesInFlight() <= 4);
      assertTrue(link.sent.size() <= 4);
    }
    assertEquals(50, acked);
    assertTrue(futures.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
    assertEquals(0, q.retriesInFlight());
  }

  @Test
  void aSendLostWithItsConnectionGoesOutAgainOnTheNextOne() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f = submit(q, "m-3");
    link.ready = false;
    link.sent.poll().reply().completeExceptionally(new ConnectionLostException("connection closed"));
    assertEquals(1, scheduler.live(), "no retry timer, only the deadline");
    CompletableFuture<SendAck> queued = submit(q, "m-4");
    assertTrue(link.sent.isEmpty(), "nothing goes out while disconnected");
    link.ready = true;
    q.onReady();
    assertEquals(List.of("m-3", "m-4"), link.sent.stream().map(Attempt::clientMsgId).toList());
    link.sent.poll().ack(1);
    link.sent.poll().ack(2);
    assertEquals(1, acked(f));
    assertEquals(2, acked(queued));
  }

  @Test
  void theRetryDeadlineFailsTheSendAndALateReplyChangesNothing() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> f = submit(q, "m-5");
    Attempt first = link.sent.poll();
    scheduler.advance(60_000);
    assertInstanceOf(TimeoutException.class, cause(f));
    first.ack(9);
    assertEquals(0, q.size());
    assertTrue(link.sent.isEmpty());
  }

  @Test
  void theSameIdJoinsTheSendInProgressAndALateAckCompletesIt() {
    SendQueue q = queue(8);
    CompletableFuture<SendAck> a = submit(q, "m-6");
    CompletableFuture<SendAck> b = submit(q, "m-6");
    assertEquals(1, link.sent.size(), "one transmission");
    q.onUnsolicitedAck(SendAck.newBuilder().setClientMsgId("m-6").setSeq(4).build());
    assertEquals(4, acked(a));
    assertEquals(4, acked(b));
  }

  @Test
  void failAllFailsEverySendAndCancelsTheirTimers() {
    SendQueue q = queue(1);
    CompletableFuture<SendAck> a = submit(q, "m-7");
    CompletableFuture<SendAck> b = submit(q, "m-8");
    link.sent.poll().error(ErrorCode.UNAVAILABLE, 10);
    ConnectionLostException closed = new ConnectionLostException("client closed");
    q.failAll(closed);
    assertEquals(closed, cause(a));
    assertEquals(closed, cause(b));
    assertEquals(0, scheduler.live());
    assertFalse(link.sent.isEmpty(), "b's transmission stays unanswered; its reply is ignored");
    link.sent.poll().ack(1);
    assertEquals(0, q.size());
  }
}
