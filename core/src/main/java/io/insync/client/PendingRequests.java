package io.insync.client;

import io.insync.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * The requests sent on the current connection and not answered yet, by request id: each
 * completes with its reply (an {@code Error} reply included), fails with a {@link
 * TimeoutException} after the request timeout, or fails with the cause given to {@link
 * #failAll} when its connection goes away — a reply can only come on the connection the
 * request went out on, so nothing outstanding survives a close (as Signal-Server's
 * {@code WebSocketResourceProvider} does on {@code onWebSocketClose}).
 *
 * <p>Confined to the client's event loop; no locks.
 */
final class PendingRequests {
  private final Scheduler scheduler;
  private final Duration timeout;
  private final Map<Long, Pending> byId = new HashMap<>();
  private long nextId = 1;

  PendingRequests(Scheduler scheduler, Duration timeout) {
    this.scheduler = scheduler;
    this.timeout = timeout;
  }

  /** A fresh request id (never 0, which marks server pushes). */
  long nextId() {
    long id = nextId++;
    if (nextId == 0) {
      nextId = 1;
    }
    return id;
  }

  /** Starts waiting for the reply to request {@code id}; {@code what} names it in the timeout's message. */
  CompletableFuture<Envelope> register(long id, String what) {
    CompletableFuture<Envelope> future = new CompletableFuture<>();
    Pending p = new Pending(future);
    byId.put(id, p);
    p.timer = scheduler.schedule(() -> {
      if (byId.remove(id, p)) {
        future.completeExceptionally(new TimeoutException(
            what + " request " + Long.toUnsignedString(id) + " got no reply within " + timeout));
      }
    }, timeout.toMillis());
    return future;
  }

  /** Completes the request {@code reply} answers; false if it answers none (a push, or too late). */
  boolean complete(Envelope reply) {
    if (reply.getRequestId() == 0) {
      return false;
    }
    Pending p = byId.remove(reply.getRequestId());
    if (p == null) {
      return false;
    }
    Scheduler.cancel(p.timer);
    p.future.complete(reply);
    return true;
  }

  /** Fails request {@code id} (for example: it could not be written). */
  void fail(long id, Throwable cause) {
    Pending p = byId.remove(id);
    if (p != null) {
      Scheduler.cancel(p.timer);
      p.future.completeExceptionally(cause);
    }
  }

  /**
   * Fails every outstanding request with {@code cause}: their connection is gone. Callbacks
   * that send new requests (on a later connection) do not see the failed ones.
   */
  void failAll(Throwable cause) {
    if (byId.isEmpty()) {
      return;
    }
    List<Pending> outstanding = new ArrayList<>(byId.values());
    byId.clear();
    for (Pending p : outstanding) {
      Scheduler.cancel(p.timer);
      p.future.completeExceptionally(cause);
    }
  }

  /** How many requests are waiting for a reply. */
  int size() {
    return byId.size();
  }

  private static final class Pending {
    final CompletableFuture<Envelope> future;
    Future<?> timer;

    Pending(CompletableFuture<Envelope> future) {
      this.future = future;
    }
  }
}
