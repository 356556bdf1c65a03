package io.insync.client;

import io.insync.core.codec.ProtocolException;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.SendAck;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * The sends not acknowledged yet, by {@code client_msg_id}, across attempts and connections.
 * Each is retried under its own id (the server dedups on it) until it is acked or its retry
 * deadline passes:
 *
 * <ul>
 *   <li>after {@code Error{UNAVAILABLE|RATE_LIMITED|TIMEOUT}}, a request timeout or a failed
 *       write, after a {@link Backoff} delay (at least the server's {@code retry_after_ms});
 *   <li>after a lost connection, as soon as the next one is authenticated.
 * </ul>
 *
 * <p>With {@code keepOrder} (ClientOptions#keepSendOrder), send order is kept: a send submitted while the previous one is still unacknowledged names it
 * ({@code after_client_msg_id}), and the server stores it only after that one. When the server
 * answers {@code Error{OUT_OF_ORDER}} (the previous one was lost on the way or is being retried,
 * say while the user moves between nodes), the send parks on its predecessor, with no timer and
 * no backoff, and goes again the moment the predecessor is acked (or, with the order dropped,
 * when the predecessor is given up), or, if the predecessor's request was lost (no answer, a
 * connection gone: a node died or a shard moved), right behind the predecessor's next
 * transmission on the same connection (in order, so the server finds the predecessor stored
 * first). A chain behind a lost request therefore drains in one burst; a chain behind a refused one
 * (a busy server) one Send per ack, which is what a busy server can take.
 *
 * <p>Retries are paced: at most {@code maxRetriesInFlight} retried sends are outstanding at
 * once; the others wait in line (oldest first) for one of them to be answered. First attempts
 * are not held back: their rate is the application's.
 *
 * <p>Confined to the client's event loop; no locks.
 */
final class SendQueue {
  /** What the queue needs from the connection. */
  interface Link {
    /** Whether an authenticated connection is up. */
    boolean ready();

    /**
     * Sends {@code Send{clientMsgId, to, content, attempt, after_client_msg_id}} on the current
     * connection; the future gets the reply. {@code attempt}: how many times this id was sent before
     * (0 the first time); {@code after}: the send that must be stored first ("" none).
     */
    CompletableFuture<Envelope> send(String clientMsgId, String to, Content content, int attempt, String after);
  }

  private final Link link;
  private final Scheduler scheduler;
  private final Backoff backoff;
  private final Duration retryTimeout;
  private final int maxRetriesInFlight;
  /** Name the previous unacked send in each send (ClientOptions#keepSendOrder). */
  private final boolean keepOrder;
  private final Map<String, Op> ops = new LinkedHashMap<>();
  private final ArrayDeque<Op> retryLine = new ArrayDeque<>();
  private int retriesInFlight;
  private long transmissions;
  /** The client_msg_id of the last new send: the next one is stored after it while it is pending. */
  private String lastSubmitted = "";

  SendQueue(Link link, Scheduler scheduler, Backoff backoff, Duration retryTimeout, int maxRetriesInFlight,
      boolean keepOrder) {
    this.keepOrder = keepOrder;
    this.link = link;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.retryTimeout = retryTimeout;
    this.maxRetriesInFlight = maxRetriesInFlight;
  }

  /**
   * Starts a send, or joins the one in progress under the same id. {@code result} completes with
   * the ack, or fails (see {@link InsyncClient#send(String, String, Content)}).
   */
  void submit(String clientMsgId, String to, Content content, CompletableFuture<SendAck> result) {
    Op existing = ops.get(clientMsgId);
    if (existing != null) {
      existing.future.whenComplete((ack, err) -> {
        if (err != null) {
          result.completeExceptionally(err);
        } else {
          result.complete(ack);
        }
      });
      return;
    }
    // an acked (or given up) predecessor needs no ordering: the server has it, or never will
    // a group post ('#' before the group id) is outside the chain: the group orders posts itself,
    // and the user's entity never stores it, so a 1:1 send named after it could never be stored
    boolean groupPost = to.startsWith("#");
    Op op = new Op(clientMsgId, to, content, result,
        keepOrder && !groupPost && ops.containsKey(lastSubmitted) ? lastSubmitted : "");
    if (!groupPost) lastSubmitted = clientMsgId;
    ops.put(clientMsgId, op);
    op.deadline = scheduler.schedule(() -> fail(op, new TimeoutException(
        "send " + clientMsgId + " was not acknowledged within " + retryTimeout)), retryTimeout.toMillis());
    tryTransmit(op);
  }

  /** A connection is authenticated: send everything that waits for one (retries paced). */
  void onReady() {
    for (Op op : List.copyOf(ops.values())) {
      tryTransmit(op);
    }
  }

  /** An ack that answers no outstanding request (a late one of an earlier attempt). */
  void onUnsolicitedAck(SendAck ack) {
    Op op = ops.get(ack.getClientMsgId());
    if (op != null) {
      complete(op, ack);
    }
  }

  /** Fails every send with {@code cause} (client closed, authentication failed). */
  void failAll(Throwable cause) {
    for (Op op : List.copyOf(ops.values())) {
      fail(op, cause);
    }
    retryLine.clear();
  }

  /** Sends not finished yet. */
  int size() {
    return ops.size();
  }

  /** Retried sends outstanding now (at most {@code maxRetriesInFlight}). */
  int retriesInFlight() {
    return retriesInFlight;
  }

  private void tryTransmit(Op op) {
    if (op.future.isDone() || op.transmission != 0 || op.retryTimer != null || op.inLine || op.parked
        || !link.ready()) {
      return;
    }
    if (op.attempts > 0) {
      if (retriesInFlight >= maxRetriesInFlight) {
        op.inLine = true;
        retryLine.add(op);
        return;
      }
      retriesInFlight++;
      op.countedAsRetry = true;
    }
    transmit(op, false);
  }

  /** {@code following}: sent right behind its predecessor's retry (its own parked ones follow it too). */
  private void transmit(Op op, boolean following) {
    long transmission = ++transmissions;
    op.transmission = transmission;
    int attempt = op.attempts++;
    link.send(op.clientMsgId, op.to, op.content, attempt, op.after)
        .whenComplete((env, err) -> onReply(op, transmission, env, err));
    // after a transmission that was lost (no answer, or the connection went), the Sends parked on
    // this one follow it on the same connection, in order, so they reach the server right after it
    // (no retry slot: the chain is one burst, not new load). After a refusal (UNAVAILABLE,
    // RATE_LIMITED: the server is busy) they wait for its ack instead: sending the chain with every
    // retry of its head would multiply the load on a node that is already refusing it.
    boolean follow = op.lost || following;
    op.lost = false;
    if (follow && !op.successors.isEmpty() && link.ready()) {
      List<Op> next = List.copyOf(op.successors);
      op.successors.clear();
      for (Op s : next) {
        s.parked = false;
        if (!s.future.isDone() && s.transmission == 0 && s.retryTimer == null && !s.inLine) {
          transmit(s, true);
        }
      }
    }
  }

  private void onReply(Op op, long transmission, Envelope env, Throwable err) {
    if (op.transmission != transmission) {
      return;
    }
    op.transmission = 0;
    if (op.countedAsRetry) {
      op.countedAsRetry = false;
      retriesInFlight--;
    }
    if (!op.future.isDone()) {
      decide(op, env, err);
    }
    releaseLine();
  }

  private void decide(Op op, Envelope env, Throwable err) {
    if (err instanceof ConnectionLostException) {
      op.lost = true;
      return; // sent again once the next connection is authenticated
    }
    if (err != null) {
      ProtocolException pe = ProtocolException.find(err).orElse(null);
      if (pe != null && pe.code() == ErrorCode.FRAME_TOO_LARGE) {
        fail(op, pe); // the same bytes would be refused again
      } else {
        op.lost = true;
        retryLater(op, 0); // request timeout, or the write failed
      }
    } else if (env.hasSendAck()) {
      complete(op, env.getSendAck());
    } else if (env.hasError() && env.getError().getCode() == ErrorCode.OUT_OF_ORDER) {
      Op before = ops.get(op.after);
      if (before != null) {
        op.parked = true; // sent again when the earlier one is over: no timer, no backoff
        before.successors.add(op);
      } else {
        // the earlier one is over since this was sent: acked (the server has it now) or given up
        // (no order to wait for); either way this one goes again at once, without the order
        op.after = "";
        tryTransmit(op);
      }
    } else if (env.hasError() && Backoff.isTransient(env.getError().getCode())) {
      retryLater(op, Backoff.retryAfterMs(env.getError()));
    } else if (env.hasError()) {
      fail(op, new ServerErrorException(env.getError()));
    } else {
      fail(op, new IllegalStateException("unexpected reply to send: " + env.getCommandCase()));
    }
  }

  private void retryLater(Op op, long retryAfterMs) {
    long delay = backoff.delayMs(op.backoffs, retryAfterMs);
    op.backoffs = Math.min(op.backoffs + 1, 62);
    op.retryTimer = scheduler.schedule(() -> {
      op.retryTimer = null;
      tryTransmit(op);
    }, delay);
  }

  private void releaseLine() {
    while (retriesInFlight < maxRetriesInFlight && !retryLine.isEmpty()) {
      Op next = retryLine.poll();
      next.inLine = false;
      tryTransmit(next);
    }
  }

  private void complete(Op op, SendAck ack) {
    forget(op);
    op.future.complete(ack);
    releaseSuccessors(op, false);
  }

  private void fail(Op op, Throwable cause) {
    forget(op);
    op.future.completeExceptionally(cause);
    releaseSuccessors(op, true);
  }

  /**
   * {@code op} is over: the sends parked on it go again now. After a failure they go without the
   * order ({@code after} cleared): the server may never store {@code op}, and they must not wait
   * for it forever.
   */
  private void releaseSuccessors(Op op, boolean failed) {
    for (Op next : op.successors) {
      next.parked = false;
      if (failed && next.after.equals(op.clientMsgId)) {
        next.after = "";
      }
      tryTransmit(next);
    }
    op.successors.clear();
  }

  /** The send is over: no more retries, no deadline, not tracked under its client_msg_id. */
  private void forget(Op op) {
    ops.remove(op.clientMsgId, op);
    Scheduler.cancel(op.deadline);
    Scheduler.cancel(op.retryTimer);
    op.retryTimer = null;
  }

  /** One message being sent, across attempts and connections. */
  private static final class Op {
    final String clientMsgId;
    final String to;
    final Content content;
    final CompletableFuture<SendAck> future;
    Future<?> deadline;
    Future<?> retryTimer;
    /** The transmission whose reply is awaited; 0 when none is. */
    long transmission;
    /** Transmissions so far; every one after the first is a retry. */
    int attempts;
    /** Backoff delays waited so far (the exponent of the next one). */
    int backoffs;
    /** Waiting in the retry line for a free slot. */
    boolean inLine;
    /** The transmission in flight holds one of the retry slots. */
    boolean countedAsRetry;

    /** The send this one is stored after ("" none); cleared when that one failed. */
    String after;
    /** Refused as out of order: waits for {@link #after} to be over, not for a timer. */
    boolean parked;
    /** The last transmission got no answer (timed out, connection lost): the parked ones follow the next. */
    boolean lost;
    /** Sends parked on this one, sent again when it is over. */
    final List<Op> successors = new ArrayList<>(0);

    Op(String clientMsgId, String to, Content content, CompletableFuture<SendAck> future, String after) {
      this.after = after;
      this.clientMsgId = clientMsgId;
      this.to = to;
      this.content = content;
      this.future = future;
    }
  }
}
