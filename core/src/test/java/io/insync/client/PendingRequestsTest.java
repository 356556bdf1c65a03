package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class PendingRequestsTest {
  private final ManualScheduler scheduler = new ManualScheduler();
  private final PendingRequests pending = new PendingRequests(scheduler, Duration.ofSeconds(10));

  private static Throwable cause(CompletableFuture<?> f) {
    assertTrue(f.isCompletedExceptionally(), "failed by now");
    return assertThrows(CompletionException.class, f::join).getCause();
  }

  @Test
  void aReplyCompletesTheRequestWithItsIdOnly() {
    long a = pending.nextId();
    long b = pending.nextId();
    assertNotEquals(a, b);
    CompletableFuture<Envelope> fa = pending.register(a, "sync");
    CompletableFuture<Envelope> fb = pending.register(b, "send");
    Envelope replyB = Envelopes.heartbeat(b, 3);
    assertTrue(pending.complete(replyB));
    assertSame(replyB, fb.getNow(null));
    assertFalse(fa.isDone());
    assertFalse(pending.complete(replyB), "a second reply to b answers nothing");
    assertFalse(pending.complete(Envelopes.heartbeat(0, 3)), "request id 0 is a push");
    assertEquals(1, pending.size());
    assertEquals(0, scheduler.live() - 1, "b's timeout was cancelled, a's is live");
  }

  @Test
  void aRequestWithoutReplyTimesOut() {
    long id = pending.nextId();
    CompletableFuture<Envelope> f = pending.register(id, "sync");
    scheduler.advance(9_999);
    assertFalse(f.isDone());
    scheduler.advance(1);
    TimeoutException e = assertInstanceOf(TimeoutException.class, cause(f));
    assertTrue(e.getMessage().contains("sync request " + id), e.getMessage());
    assertFalse(pending.complete(Envelopes.heartbeat(id, 1)), "a reply after the timeout is ignored");
  }

  @Test
  void closingTheConnectionFailsEveryOutstandingRequest() {
    List<CompletableFuture<Envelope>> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(pending.register(pending.nextId(), "send"));
    }
    ConnectionLostException lost = new ConnectionLostException("connection closed");
    List<CompletableFuture<Envelope>> resent = new ArrayList<>();
    all.get(0).whenComplete((env, err) -> resent.add(pending.register(pending.nextId(), "send")));
    pending.failAll(lost);
    for (CompletableFuture<Envelope> f : all) {
      assertSame(lost, cause(f));
    }
    assertEquals(0, scheduler.live() - 1, "their timeouts are cancelled; only the re-sent one's is live");
    assertEquals(1, pending.size(), "a request made from a failure callback is not failed with the old ones");
    assertFalse(resent.get(0).isDone());
  }

  @Test
  void aFailedWriteFailsThatRequest() {
    long id = pending.nextId();
    CompletableFuture<Envelope> f = pending.register(id, "send");
    IllegalStateException boom = new IllegalStateException("write failed");
    pending.fail(id, boom);
    assertSame(boom, cause(f));
    assertEquals(0, pending.size());
  }

  @Test
  void requestIdsAreNeverZero() {
    for (int i = 0; i < 1000; i++) {
      assertNotEquals(0, pending.nextId());
    }
  }
}
