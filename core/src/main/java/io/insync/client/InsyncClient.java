package io.insync.client;

import io.insync.core.codec.Envelopes;
import io.insync.core.codec.FrameCodec;
import io.insync.core.codec.ProtocolException;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;

/**
 * The insync client: one connection to a gateway at a time, authenticated with a token,
 * with automatic reconnects, retried sends and (optionally) automatic sync.
 *
 * <p>Threading: every client lives on one event loop of its (possibly shared) NIO group; all
 * its state is confined to that thread, so it needs no locks and no thread of its own, and
 * thousands of clients can share a small group. Public methods may be called from any thread
 * and never block, except {@link #close()} called off the event loop, which waits briefly for
 * the teardown. Futures complete and {@link ClientListener} methods run on the event loop:
 * don't block in them.
 *
 * <p>Life cycle: {@link #connect()} tries each address once (starting at a random one) and
 * fails if none answers with {@code AuthOk}. Once authenticated, any disconnect not caused by
 * {@link #close()} leads to reconnects with exponential backoff and jitter through the address
 * list, resuming from the stored sync key. An {@code AUTH_FAILED} error stops the client: it
 * fails everything pending and does not reconnect (a later {@link #connect()} may try again,
 * for example after the token supplier has a fresh token).
 */
public final class InsyncClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InsyncClient.class.getName());
  private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);

  private enum State { IDLE, CONNECTING, AUTHENTICATING, READY, WAITING, FAILED, CLOSED }

  private final ClientOptions options;
  private final ClientListener listener;
  private final SyncKeyStore store;
  private final EventLoopGroup group;
  private final boolean ownGroup;
  private final EventLoop loop;
  /** Set once close() shuts down an own event loop group: later calls fail at once. */
  private volatile boolean groupShutDown;
  private final Bootstrap bootstrap;
  private final Backoff backoff;
  private final List<InetSocketAddress> addresses;

  // --- confined to `loop` ---
  private State state = State.IDLE;
  private Channel channel;
  private int addressIndex;
  private int attemptsThisRound;
  private int reconnectAttempt;
  private boolean established;
  private long nextRequestId = 1;
  private long deliveredUpTo;
  private boolean syncRunning;
  private boolean syncAgain;
  private ScheduledFuture<?> heartbeatTask;
  private ScheduledFuture<?> reconnectTask;
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<String, SendOp> sends = new LinkedHashMap<>();
  private final List<CompletableFuture<AuthOk>> connectWaiters = new ArrayList<>();
  private AuthOk lastAuthOk;

  // --- readable from any thread ---
  private volatile long syncKey;
  private volatile boolean connected;

  private InsyncClient(ClientOptions options) {
    this.options = options;
    this.listener = options.listener();
    this.store = options.syncKeyStore();
    this.addresses = options.addresses();
    this.ownGroup = options.eventLoopGroup().isEmpty();
    this.group = options.eventLoopGroup()
        .orElseGet(() -> new NioEventLoopGroup(1, new DefaultThreadFactory("insync-client", true)));
    this.loop = group.next();
    this.backoff = new Backoff(options.backoffMin(), options.backoffMax());
    this.addressIndex = ThreadLocalRandom.current().nextInt(addresses.size());
    this.syncKey = store.load();
    this.deliveredUpTo = syncKey;
    this.bootstrap = new Bootstrap()
        .group(loop)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, options.requestTimeout().toMillis()))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            FrameCodec.install(ch.pipeline(), options.maxFrameBytes());
            ch.pipeline().addLast("insync-client", new Handler());
          }
        });
  }

  /** Creates a client; nothing happens on the network until {@link #connect()}. */
  public static InsyncClient create(ClientOptions options) {
    return new InsyncClient(Objects.requireNonNull(options, "options"));
  }

  /**
   * Connects and authenticates. Completes with the server's {@code AuthOk}; fails with
   * {@link ServerErrorException} if the server answers {@code Auth} with an error, or with
   * {@link ConnectionLostException} if no address could be reached. If the client is
   * already connected, completes at once; if it is reconnecting, completes on the next
   * {@code AuthOk}.
   */
  public CompletableFuture<AuthOk> connect() {
    CompletableFuture<AuthOk> result = new CompletableFuture<>();
    onLoop(result, () -> {
      switch (state) {
        case CLOSED -> result.completeExceptionally(new IllegalStateException("client is closed"));
        case READY -> result.complete(lastAuthOk);
        case CONNECTING, AUTHENTICATING, WAITING -> connectWaiters.add(result);
        case IDLE, FAILED -> {
          connectWaiters.add(result);
          established = false;
          attemptsThisRound = 0;
          startAttempt();
        }
      }
    });
    return result;
  }

  /** Sends a message under a new random {@code client_msg_id}; see {@link #send(String, String, Content)}. */
  public CompletableFuture<SendAck> send(String to, Content content) {
    return send(UUID.randomUUID().toString(), to, content);
  }

  /**
   * Sends a message. Until it is acked or {@link ClientOptions#sendRetryTimeout()} passes, the
   * message is retried under the same {@code clientMsgId} (the server dedups on it): after a
   * request timeout, after {@code Error{UNAVAILABLE|TIMEOUT}} (waiting at least {@code
   * retry_after_ms}) and after reconnects. A send made while disconnected waits for the next
   * connection. Calling this again with the id of a send still in progress returns that
   * send's future. Fails with {@link ServerErrorException} on other server errors, with
   * {@link TimeoutException} when the retry time is up, and with {@link
   * ConnectionLostException} when the client is closed.
   */
  public CompletableFuture<SendAck> send(String clientMsgId, String to, Content content) {
    Objects.requireNonNull(clientMsgId, "clientMsgId");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(content, "content");
    if (clientMsgId.isEmpty()) {
      throw new IllegalArgumentException("clientMsgId is empty");
    }
    CompletableFuture<SendAck> result = new CompletableFuture<>();
    onLoop(result, () -> {
      if (state == State.CLOSED) {
        result.completeExceptionally(new ConnectionLostException("client is closed"));
        return;
      }
      if (state == State.FAILED) {
        result.completeExceptionally(new ConnectionLostException("authentication failed; connect again"));
        return;
      }
      SendOp existing = sends.get(clientMsgId);
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
      SendOp op = new SendOp(clientMsgId, to, content, result);
      sends.put(clientMsgId, op);
      long timeoutMs = options.sendRetryTimeout().toMillis();
      op.deadline = loop.schedule(() -> failSend(op, new TimeoutException(
          "send " + clientMsgId + " was not acknowledged within " + options.sendRetryTimeout())),
          timeoutMs, TimeUnit.MILLISECONDS);
      transmit(op);
    });
    return result;
  }

  /**
   * Fetches one page of items after {@code fromKey}; no side effects (nothing is stored or
   * acked, the listener is not called). Fails at once with {@link ConnectionLostException} if
   * the client is not connected.
   */
  public CompletableFuture<SyncResult> sync(long fromKey, int maxItems) {
    CompletableFuture<SyncResult> result = new CompletableFuture<>();
    onLoop(result, () -> {
      if (state != State.READY) {
        result.completeExceptionally(new ConnectionLostException("not connected"));
        return;
      }
      request(id -> Envelopes.sync(id, fromKey, maxItems)).whenComplete((env, err) -> {
        if (err != null) {
          result.completeExceptionally(err);
        } else if (env.hasSyncResult()) {
          result.complete(env.getSyncResult());
        } else {
          result.completeExceptionally(unexpected(env));
        }
      });
    });
    return result;
  }

  /**
   * Records that the application has stored everything up to {@code key}: raises the local
   * sync key (and the store) if {@code key} is higher, and sends {@code Ack} if connected.
   * Needed only when automatic sync is off.
   */
  public void ack(long key) {
    onLoop(null, () -> {
      if (key > syncKey) {
        advanceKey(key);
        deliveredUpTo = Math.max(deliveredUpTo, key);
      }
      sendAck(key);
    });
  }

  /** The current sync key: the highest seq handed to the application (or acked by it). */
  public long syncKey() {
    return syncKey;
  }

  /** True while an authenticated connection is up. */
  public boolean isConnected() {
    return connected;
  }

  /**
   * Closes the connection for good: fails every outstanding request and send with {@link
   * ConnectionLostException}, stops reconnecting and, if the client made its own event loop
   * group, shuts it down. Idempotent.
   */
  @Override
  public void close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    onLoop(done, () -> {
      doClose();
      done.complete(null);
    });
    if (!loop.inEventLoop()) {
      try {
        done.get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(System.Logger.Level.DEBUG, "insync client close did not finish cleanly", e);
      }
    }
    if (ownGroup) {
      groupShutDown = true;
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- connection life cycle

  private void startAttempt() {
    InetSocketAddress address = addresses.get(addressIndex);
    state = State.CONNECTING;
    ChannelFuture cf = bootstrap.connect(address);
    Channel ch = cf.channel();
    channel = ch;
    cf.addListener(f -> {
      if (ch != channel) {
        ch.close();
        return;
      }
      if (!f.isSuccess()) {
        connectionLost(new ConnectionLostException("cannot connect to " + address, f.cause()));
        return;
      }
      state = State.AUTHENTICATING;
      authenticate(ch);
    });
  }

  private void authenticate(Channel ch) {
    String token;
    try {
      token = options.tokenSupplier().get();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync token supplier failed", e);
      connectionLost(new ConnectionLostException("token supplier failed", e));
      return;
    }
    request(id -> Envelopes.auth(id, token, options.clientVersion())).whenComplete((env, err) -> {
      if (ch != channel) {
        return;
      }
      if (err != null) {
        connectionLost(err);
      } else if (env.hasAuthOk()) {
        onAuthenticated(env.getAuthOk());
      } else if (env.hasError()) {
        onAuthError(env.getError());
      } else {
        connectionLost(unexpected(env));
      }
    });
  }

  private void onAuthenticated(AuthOk ok) {
    state = State.READY;
    connected = true;
    established = true;
    reconnectAttempt = 0;
    lastAuthOk = ok;
    notifyListener(() -> listener.onConnected(ok));
    drainWaiters().forEach(w -> w.complete(ok));
    if (state != State.READY) {
      return; // a callback closed the client
    }
    startHeartbeat(ok);
    for (SendOp op : List.copyOf(sends.values())) {
      transmit(op);
    }
    triggerSync();
  }

  private void onAuthError(Error error) {
    if (error.getCode() == ErrorCode.AUTH_FAILED) {
      authFailed(error);
      return;
    }
    ServerErrorException cause = new ServerErrorException("authentication refused", error);
    if (established) {
      detach(cause, State.WAITING);
      scheduleReconnect(error.getRetryAfterMs());
    } else {
      detach(cause, State.IDLE);
      drainWaiters().forEach(w -> w.completeExceptionally(cause));
    }
  }

  private void authFailed(Error error) {
    String reason = error.getReason().isEmpty() ? "" : " (" + error.getReason() + ")";
    ServerErrorException cause = new ServerErrorException(
        "authentication failed" + reason + "; the client stopped and will not reconnect", error);
    established = false;
    detach(cause, State.FAILED);
    cancel(reconnectTask);
    drainWaiters().forEach(w -> w.completeExceptionally(cause));
    for (SendOp op : List.copyOf(sends.values())) {
      failSend(op, cause);
    }
  }

  /** The current connection (or connection attempt) is gone; decide what comes next. */
  private void connectionLost(Throwable cause) {
    if (state == State.CLOSED || state == State.FAILED) {
      return;
    }
    if (established) {
      detach(cause, State.WAITING);
      scheduleReconnect(0);
      return;
    }
    attemptsThisRound++;
    if (attemptsThisRound < addresses.size()) {
      detach(cause, State.CONNECTING);
      addressIndex = (addressIndex + 1) % addresses.size();
      startAttempt();
    } else {
      detach(cause, State.IDLE);
      addressIndex = (addressIndex + 1) % addresses.size();
      ConnectionLostException failure = new ConnectionLostException(
          "could not connect to any of " + addresses, cause);
      drainWaiters().forEach(w -> w.completeExceptionally(failure));
    }
  }

  /**
   * Tears down the connection's state: closes the channel, fails outstanding requests and
   * puts in-flight sends back in the queue. Later events from the old channel are ignored.
   */
  private void detach(Throwable cause, State next) {
    Channel ch = channel;
    boolean wasReady = state == State.READY;
    channel = null;
    state = next;
    connected = false;
    syncRunning = false;
    syncAgain = false;
    cancel(heartbeatTask);
    heartbeatTask = null;
    if (ch != null) {
      ch.close();
    }
    for (SendOp op : sends.values()) {
      op.inFlight = 0;
    }
    if (!pending.isEmpty()) {
      ConnectionLostException lost = new ConnectionLostException(
          next == State.CLOSED ? "client closed" : "connection closed", cause);
      List<Pending> outstanding = new ArrayList<>(pending.values());
      pending.clear();
      for (Pending p : outstanding) {
        cancel(p.timeout);
        p.future.completeExceptionally(lost);
      }
    }
    if (wasReady) {
      Throwable reported = next == State.CLOSED ? null : cause;
      notifyListener(() -> listener.onDisconnected(reported));
    }
  }

  private void scheduleReconnect(int minDelayMs) {
    state = State.WAITING;
    long delay = Math.max(minDelayMs, backoff.delayMs(reconnectAttempt));
    reconnectAttempt = Math.min(reconnectAttempt + 1, 30);
    addressIndex = (addressIndex + 1) % addresses.size();
    reconnectTask = loop.schedule(() -> {
      if (state == State.WAITING) {
        startAttempt();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void doClose() {
    if (state == State.CLOSED) {
      return;
    }
    cancel(reconnectTask);
    detach(null, State.CLOSED);
    ConnectionLostException closed = new ConnectionLostException("client closed");
    drainWaiters().forEach(w -> w.completeExceptionally(closed));
    for (SendOp op : List.copyOf(sends.values())) {
      failSend(op, closed);
    }
  }

  private List<CompletableFuture<AuthOk>> drainWaiters() {
    List<CompletableFuture<AuthOk>> waiters = List.copyOf(connectWaiters);
    connectWaiters.clear();
    return waiters;
  }

  // ---------------------------------------------------------------- inbound

  private void onEnvelope(Channel ch, Envelope env) {
    if (ch != channel) {
      return;
    }
    switch (env.getCommandCase()) {
      case NOTIFY -> onNotify(env.getNotify());
      case ERROR -> onError(env);
      case HEARTBEAT -> {
        if (!completePending(env)) {
          onLatestSeq(env.getHeartbeat().getLatestSeq());
        }
      }
      case SEND_ACK -> {
        if (!completePending(env)) {
          SendOp op = sends.get(env.getSendAck().getClientMsgId());
          if (op != null) {
            completeSend(op, env.getSendAck()); // a late ack of an earlier attempt
          }
        }
      }
      default -> {
        if (!completePending(env)) {
          LOG.log(System.Logger.Level.DEBUG, "insync client ignored {0} (request id {1})",
              env.getCommandCase(), env.getRequestId());
        }
      }
    }
  }

  private void onError(Envelope env) {
    Error error = env.getError();
    notifyListener(() -> listener.onError(error));
    if (channel == null) {
      return;
    }
    if (completePending(env)) {
      return;
    }
    if (error.getCode() == ErrorCode.AUTH_FAILED) {
      authFailed(error);
    } else if (error.getFatal()) {
      LOG.log(System.Logger.Level.DEBUG, "insync server sent fatal error {0}: {1}",
          error.getCode(), error.getReason());
    }
  }

  private boolean completePending(Envelope env) {
    if (env.getRequestId() == 0) {
      return false;
    }
    Pending p = pending.remove(env.getRequestId());
    if (p == null) {
      return false;
    }
    cancel(p.timeout);
    p.future.complete(env);
    return true;
  }

  private void onNotify(Notify notify) {
    notifyListener(() -> listener.onNotify(notify));
    if (takeInline(notify)) {
      return;
    }
    onLatestSeq(notify.getLatestSeq());
  }

  /**
   * Small new items ride along in the Notify. If they continue our key without a gap up to the
   * latest seq, take them as a sync would (no round trip) and ack; otherwise sync as usual.
   */
  private boolean takeInline(Notify notify) {
    int n = notify.getItemsCount();
    if (!options.autoSync() || state != State.READY || syncRunning || n == 0) {
      return false;
    }
    if (notify.getItems(0).getSeq() != syncKey + 1 || notify.getItems(n - 1).getSeq() != notify.getLatestSeq()) {
      return false;
    }
    for (int i = 1; i < n; i++) {
      if (notify.getItems(i).getSeq() != notify.getItems(i - 1).getSeq() + 1) {
        return false;
      }
    }
    SyncResult asPage = SyncResult.newBuilder().addAllItems(notify.getItemsList())
        .setSyncKey(notify.getLatestSeq()).setHasMore(false).build();
    if (accept(asPage)) {
      sendAck(syncKey);
    }
    return true;
  }

  private void onLatestSeq(long latestSeq) {
    if (latestSeq > syncKey) {
      triggerSync();
    }
  }

  // ---------------------------------------------------------------- requests

  /** Sends a request on the current channel; the future gets the reply (Error included). */
  private CompletableFuture<Envelope> request(LongFunction<Envelope> build) {
    long id = nextRequestId++;
    CompletableFuture<Envelope> future = new CompletableFuture<>();
    Channel ch = channel;
    if (ch == null) {
      future.completeExceptionally(new ConnectionLostException("not connected"));
      return future;
    }
    Envelope env = build.apply(id);
    Pending p = new Pending(future);
    pending.put(id, p);
    long timeoutMs = options.requestTimeout().toMillis();
    p.timeout = loop.schedule(() -> {
      if (pending.remove(id) == p) {
        future.completeExceptionally(new TimeoutException(
            env.getCommandCase().name().toLowerCase(java.util.Locale.ROOT) + " request " + id
                + " got no reply within " + options.requestTimeout()));
      }
    }, timeoutMs, TimeUnit.MILLISECONDS);
    ch.writeAndFlush(env).addListener(f -> {
      if (!f.isSuccess() && pending.remove(id) == p) {
        cancel(p.timeout);
        future.completeExceptionally(f.cause());
      }
    });
    return future;
  }

  private void transmit(SendOp op) {
    if (state != State.READY || op.inFlight != 0 || op.future.isDone()
        || (op.retry != null && !op.retry.isDone())) {
      return;
    }
    long[] idHolder = new long[1];
    CompletableFuture<Envelope> reply = request(id -> {
      idHolder[0] = id;
      return Envelopes.send(id, op.clientMsgId, op.to, op.content);
    });
    op.inFlight = idHolder[0];
    reply.whenComplete((env, err) -> onSendReply(op, idHolder[0], env, err));
  }

  private void onSendReply(SendOp op, long requestId, Envelope env, Throwable err) {
    if (op.inFlight == requestId) {
      op.inFlight = 0;
    }
    if (op.future.isDone()) {
      return;
    }
    if (err != null) {
      if (err instanceof ConnectionLostException) {
        return; // re-sent after the reconnect
      }
      if (err instanceof TimeoutException) {
        transmit(op);
        return;
      }
      ProtocolException pe = ProtocolException.find(err).orElse(null);
      if (pe != null && pe.code() == ErrorCode.FRAME_TOO_LARGE) {
        failSend(op, pe);
        return;
      }
      retryLater(op, backoff.minMs());
    } else if (env.hasSendAck()) {
      completeSend(op, env.getSendAck());
    } else if (env.hasError()) {
      Error error = env.getError();
      ErrorCode code = error.getCode();
      if (code == ErrorCode.UNAVAILABLE || code == ErrorCode.TIMEOUT) {
        retryLater(op, Math.max(error.getRetryAfterMs(), backoff.minMs()));
      } else {
        failSend(op, new ServerErrorException(error));
      }
    } else {
      failSend(op, unexpected(env));
    }
  }

  private void retryLater(SendOp op, long delayMs) {
    cancel(op.retry);
    op.retry = loop.schedule(() -> {
      op.retry = null;
      transmit(op);
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  private void completeSend(SendOp op, SendAck ack) {
    forget(op);
    op.future.complete(ack);
  }

  private void failSend(SendOp op, Throwable cause) {
    forget(op);
    op.future.completeExceptionally(cause);
  }

  /** The send is over: no more retries, no deadline, not tracked under its client_msg_id. */
  private void forget(SendOp op) {
    if (sends.get(op.clientMsgId) == op) {
      sends.remove(op.clientMsgId);
    }
    cancel(op.deadline);
    cancel(op.retry);
  }

  private void sendAck(long key) {
    Channel ch = channel;
    if (state == State.READY && ch != null) {
      ch.writeAndFlush(Envelopes.ack(nextRequestId++, key));
    }
  }

  // ---------------------------------------------------------------- heartbeat

  private void startHeartbeat(AuthOk ok) {
    Duration interval = options.heartbeatInterval().orElseGet(() ->
        ok.getHeartbeatSeconds() > 0 ? Duration.ofSeconds(ok.getHeartbeatSeconds()) : DEFAULT_HEARTBEAT);
    long ms = Math.max(1, interval.toMillis());
    Channel ch = channel;
    heartbeatTask = loop.scheduleAtFixedRate(() -> heartbeat(ch), ms, ms, TimeUnit.MILLISECONDS);
  }

  private void heartbeat(Channel ch) {
    if (ch != channel || state != State.READY) {
      return;
    }
    request(id -> Envelopes.heartbeat(id, 0)).whenComplete((env, err) -> {
      if (ch != channel) {
        return;
      }
      if (err instanceof TimeoutException) {
        connectionLost(new ConnectionLostException("heartbeat not answered", err));
      } else if (env != null && env.hasHeartbeat()) {
        onLatestSeq(env.getHeartbeat().getLatestSeq());
      }
    });
  }

  // ---------------------------------------------------------------- automatic sync

  private void triggerSync() {
    if (!options.autoSync() || state != State.READY) {
      return;
    }
    if (syncRunning) {
      syncAgain = true;
      return;
    }
    syncRunning = true;
    syncAgain = false;
    syncPage(channel, false);
  }

  private void syncPage(Channel ch, boolean advancedSoFar) {
    long from = syncKey;
    request(id -> Envelopes.sync(id, from, options.syncPageSize())).whenComplete((env, err) -> {
      if (ch != channel || !syncRunning) {
        return; // the connection changed; the next AuthOk starts a new loop
      }
      if (err != null || !env.hasSyncResult()) {
        LOG.log(System.Logger.Level.DEBUG, "insync automatic sync failed: {0}",
            err != null ? err : env.getCommandCase());
        finishSync(advancedSoFar);
        if (env != null && env.hasError() && env.getError().getCode() == ErrorCode.UNAVAILABLE) {
          long delay = Math.max(env.getError().getRetryAfterMs(), backoff.minMs());
          loop.schedule(() -> {
            if (ch == channel) {
              triggerSync();
            }
          }, delay, TimeUnit.MILLISECONDS);
        }
        return;
      }
      SyncResult page = env.getSyncResult();
      boolean advanced = accept(page) | advancedSoFar;
      if (state != State.READY || ch != channel) {
        return; // a listener callback closed the client
      }
      if (page.getHasMore() && syncKey > from) {
        syncPage(ch, advanced);
      } else {
        finishSync(advanced);
      }
    });
  }

  private void finishSync(boolean advanced) {
    if (advanced) {
      sendAck(syncKey);
    }
    syncRunning = false;
    if (syncAgain) {
      triggerSync();
    }
  }

  /** Hands new items to the listener, then stores the new key. Returns whether the key grew. */
  private boolean accept(SyncResult page) {
    List<Item> fresh = new ArrayList<>(page.getItemsCount());
    for (Item item : page.getItemsList()) {
      if (item.getSeq() > deliveredUpTo) {
        fresh.add(item);
        deliveredUpTo = item.getSeq();
      }
    }
    if (!fresh.isEmpty()) {
      List<Item> items = List.copyOf(fresh);
      notifyListener(() -> listener.onItems(items));
    }
    long newKey = Math.max(page.getSyncKey(), fresh.isEmpty() ? 0 : deliveredUpTo);
    if (newKey > syncKey) {
      advanceKey(newKey);
      return true;
    }
    return false;
  }

  private void advanceKey(long key) {
    syncKey = key;
    try {
      store.store(key);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync sync key store failed", e);
    }
  }

  // ---------------------------------------------------------------- helpers

  private void onLoop(CompletableFuture<?> result, Runnable task) {
    Runnable guarded = () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        if (result != null) {
          result.completeExceptionally(e);
        } else {
          LOG.log(System.Logger.Level.WARNING, "insync client task failed", e);
        }
      }
    };
    if (loop.inEventLoop()) {
      guarded.run();
      return;
    }
    if (groupShutDown) {
      // an own event loop that is shutting down may accept a task and never run it
      if (result != null) {
        result.completeExceptionally(new ConnectionLostException("client is closed"));
      }
      return;
    }
    try {
      loop.execute(guarded);
    } catch (RejectedExecutionException e) {
      if (result != null) {
        result.completeExceptionally(new ConnectionLostException("client is closed", e));
      }
    }
  }

  private static void notifyListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync client listener threw", e);
    }
  }

  private static void cancel(java.util.concurrent.Future<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  private static IllegalStateException unexpected(Envelope env) {
    if (env.hasError()) {
      return new IllegalStateException(new ServerErrorException(env.getError()).getMessage());
    }
    return new IllegalStateException("unexpected reply: " + env.getCommandCase());
  }

  /** One request waiting for its reply. */
  private static final class Pending {
    final CompletableFuture<Envelope> future;
    ScheduledFuture<?> timeout;

    Pending(CompletableFuture<Envelope> future) {
      this.future = future;
    }
  }

  /** One message being sent, across attempts and connections. */
  private static final class SendOp {
    final String clientMsgId;
    final String to;
    final Content content;
    final CompletableFuture<SendAck> future;
    ScheduledFuture<?> deadline;
    ScheduledFuture<?> retry;
    long inFlight;

    SendOp(String clientMsgId, String to, Content content, CompletableFuture<SendAck> future) {
      this.clientMsgId = clientMsgId;
      this.to = to;
      this.content = content;
      this.future = future;
    }
  }

  /** Feeds one channel's events into the client; events of replaced channels are ignored. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private Throwable failure;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope env) {
        onEnvelope(ctx.channel(), env);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (failure == null) {
        failure = cause;
      }
      LOG.log(System.Logger.Level.DEBUG, "insync connection error", cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ctx.channel() == channel) {
        connectionLost(failure != null ? failure : new ConnectionLostException("connection closed by the server"));
      }
    }
  }
}
