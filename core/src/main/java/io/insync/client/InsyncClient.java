package io.insync.client;

import io.insync.core.codec.Envelopes;
import io.insync.core.codec.FrameCodec;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.GroupChange;
import io.insync.protocol.GroupCreate;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupGet;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.DeviceInfo;
import io.insync.protocol.GroupReceipts;
import io.insync.protocol.GroupReceiptsGet;
import io.insync.protocol.ItemKind;
import io.insync.protocol.ListDevices;
import io.insync.protocol.MarkRead;
import io.insync.protocol.RemoveDevice;
import io.insync.protocol.SetPrefs;
import io.insync.protocol.Sync;
import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Redirect;
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
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
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
 * <p>Life cycle: {@link #connect()} tries the addresses in turn (starting at a random one) until
 * one answers {@code AuthOk}. A failed attempt — no connection, or an {@code Error} answer to
 * {@code Auth} that means "not now" ({@code UNAVAILABLE}, {@code RATE_LIMITED}, {@code TIMEOUT},
 * {@code INTERNAL}, fatal or not) — is followed by the next after a backoff with jitter (at least
 * the server's {@code retry_after_ms}), until {@link ClientOptions#connectRetryTimeout()}; other
 * errors fail the connect at once. Once authenticated, any disconnect not caused by {@link
 * #close()} leads to reconnects with the same backoff, for as long as the client lives, resuming
 * from the stored sync key. An {@code AUTH_FAILED} error stops the client: it fails everything
 * pending and does not reconnect (a later {@link #connect()} may try again, for example after the
 * token supplier has a fresh token).
 *
 * <p>A {@code Redirect} from the gateway (it is stopping: its node leaves the cluster) closes the
 * connection at once and connects to one of the gateways it names (in random order, after a random
 * part of its grace), else to the configured addresses — never to the leaving one until connected
 * elsewhere. As after any reconnect, the sync resumes from the stored key and unacknowledged sends
 * are sent again under their {@code client_msg_id}, so nothing is lost or duplicated ({@link Detour}).
 *
 * <p>How calls fail. Every method that returns a {@link CompletableFuture} reports failures by
 * completing it exceptionally, never by throwing (only {@code null} or empty arguments throw,
 * at once: {@link NullPointerException}, {@link IllegalArgumentException}). The exceptions:
 * <ul>
 *   <li>{@link ServerErrorException}: the server answered with an {@code Error}; its {@link
 *   ServerErrorException#code() code} says which (docs/protocol.md, "Errors"). Each method names
 *   the codes it can get.
 *   <li>{@link ConnectionLostException}: there was no authenticated connection to send the request
 *   on, or it closed before the answer came, or the client was closed. The request's outcome is
 *   then unknown; every request here is safe to repeat (a send under the same {@code
 *   client_msg_id}).
 *   <li>{@link TimeoutException}: no answer within {@link ClientOptions#requestTimeout()} (for a
 *   send: no ack within {@link ClientOptions#sendRetryTimeout()}); the outcome is unknown.
 *   <li>{@link IllegalStateException}: an answer of the wrong type (a server bug), or {@link
 *   #connect()} on a closed client.
 * </ul>
 * Only {@link #connect()} and the sends retry by themselves (and wait for a connection); every
 * other request is tried once, on the current connection, and fails with {@link
 * ConnectionLostException} at once when there is none: the caller decides whether to try again,
 * for example after {@link ClientListener#onConnected}. {@code UNAVAILABLE} and {@code
 * RATE_LIMITED} answers to them are failures like any other (retry after {@link
 * io.insync.protocol.Error#getRetryAfterMs()}).
 *
 * <p>Parts, each confined to the event loop: {@link ConnectPlan} (where and when the next
 * attempt goes), {@link PendingRequests} (request-id correlation and timeouts; everything
 * outstanding fails when its connection closes), {@link SendQueue} (sends and their retries),
 * {@link SyncCursor} (the sync key and the automatic sync). This class is the connection's life
 * cycle and the wiring between them.
 */
public final class InsyncClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InsyncClient.class.getName());
  private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);

  private enum State { IDLE, CONNECTING, AUTHENTICATING, READY, WAITING, FAILED, CLOSED }

  private final ClientOptions options;
  private final ClientListener listener;
  private final EventLoopGroup group;
  private final boolean ownGroup;
  private final EventLoop loop;
  /** Set once close() shuts down an own event loop group: later calls fail at once. */
  private volatile boolean groupShutDown;
  private final Bootstrap bootstrap;
  private final List<InetSocketAddress> addresses;
  private final ConnectPlan plan;
  private final PendingRequests pending;
  private final SendQueue sends;
  private final SyncCursor cursor;
  private final AckThrottle acks;
  private final Detour detour = new Detour();
  /** The access endpoint, or null: asked before a (re)connect ({@link ClientOptions#accessUrl()}). */
  private final AccessLookup access;
  /** The access endpoint was asked since the last authenticated connection. */
  private boolean accessAsked;
  /** Counts access lookups, so that the answer of one overtaken by a close or a newer attempt is ignored. */
  private long lookups;

  // --- confined to `loop` ---
  private State state = State.IDLE;
  private Channel channel;
  /** The address of the current connection (attempt). */
  private InetSocketAddress current;
  /** A fatal Error that answered no request on the current channel: why it is about to close. */
  private Error closingError;
  private Future<?> heartbeatTask;
  private Future<?> reconnectTask;
  private final List<CompletableFuture<AuthOk>> connectWaiters = new ArrayList<>();
  private AuthOk lastAuthOk;

  // --- readable from any thread ---
  private volatile boolean connected;

  private InsyncClient(ClientOptions options) {
    this.options = options;
    this.listener = new SafeListener(options.listener());
    this.addresses = options.addresses();
    this.access = options.accessUrl().map(u -> new AccessLookup(u, options.accessTimeout())).orElse(null);
    this.ownGroup = options.eventLoopGroup().isEmpty();
    this.group = options.eventLoopGroup()
        .orElseGet(() -> new NioEventLoopGroup(1, new DefaultThreadFactory("insync-client", true)));
    this.loop = group.next();
    Scheduler scheduler = (task, delayMs) -> loop.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    Backoff backoff = new Backoff(options.backoffMin(), options.backoffMax(), new SplittableRandom());
    this.plan = new ConnectPlan(addresses.size(), ThreadLocalRandom.current().nextInt(addresses.size()),
        backoff, () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
    this.pending = new PendingRequests(scheduler, options.requestTimeout());
    Wire wire = new Wire();
    this.acks = new AckThrottle(wire, scheduler, options.ackInterval().toMillis(),
        () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
    this.sends = new SendQueue(wire, scheduler, backoff, options.sendRetryTimeout(), options.maxRetriesInFlight(),
        options.keepSendOrder());
    this.cursor = new SyncCursor(options.syncKeyStore(), listener, wire, scheduler, backoff,
        options.autoSync(), options.syncPageSize());
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

  /**
   * Creates a client; nothing happens on the network until {@link #connect()}. Reads the sync key
   * from {@link ClientOptions#syncKeyStore()} now.
   *
   * @throws NullPointerException if {@code options} is null
   * @throws RuntimeException whatever the key store's {@link SyncKeyStore#load()} throws (for
   *     {@link FileSyncKeyStore}: {@link java.io.UncheckedIOException} for an unreadable file)
   */
  public static InsyncClient create(ClientOptions options) {
    return new InsyncClient(Objects.requireNonNull(options, "options"));
  }

  /**
   * Connects and authenticates, retrying as the class comment says. Completes with the
   * server's {@code AuthOk}. If the client is already connected, completes at once; if it is
   * reconnecting, completes on the next {@code AuthOk}.
   *
   * <p>Fails with
   * <ul>
   *   <li>{@link ServerErrorException} at once when the server answers {@code Auth} with an error
   *   that retrying cannot cure: {@code AUTH_FAILED} (bad or expired token, removed device),
   *   {@code LIMIT_EXCEEDED} (past the user's max devices), {@code LOGGED_IN_ELSEWHERE} (the login
   *   policy), {@code SESSION_REPLACED} (another connection of this device took over meanwhile),
   *   {@code BAD_REQUEST} (for example a platform over 32 characters); after all but the last the
   *   client stays stopped until the next {@code connect()};
   *   <li>{@link ServerErrorException} when {@link ClientOptions#connectRetryTimeout()} is up and
   *   the last attempt was answered with a retryable error ({@code UNAVAILABLE}, {@code
   *   RATE_LIMITED}, {@code TIMEOUT}, {@code INTERNAL});
   *   <li>{@link ConnectionLostException} when the retry time is up and the last attempt reached
   *   no server (its cause says why), or when {@link #close()} ends the attempts;
   *   <li>{@link IllegalStateException} if the client is closed.
   * </ul>
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
          plan.startFirstConnect(options.connectRetryTimeout().toMillis());
          startAttempt();
        }
      }
    });
    return result;
  }

  /**
   * Sends a message under a new random {@code client_msg_id}; see {@link #send(String, String,
   * Content)}, which also says how it fails. A retry by the caller after a failure gets a new id,
   * so it may duplicate the message: use the other overload where that matters.
   */
  public CompletableFuture<SendAck> send(String to, Content content) {
    return send(UUID.randomUUID().toString(), to, content);
  }

  /**
   * Sends a message. Until it is acked or {@link ClientOptions#sendRetryTimeout()} passes, the
   * message is retried under the same {@code clientMsgId} (the server dedups on it): after a
   * request timeout and after {@code Error{UNAVAILABLE|RATE_LIMITED|TIMEOUT}}, with exponential
   * backoff and jitter (waiting at least {@code retry_after_ms}), and after reconnects. At most
   * {@link ClientOptions#maxRetriesInFlight()} retries are outstanding at once. A send made while
   * disconnected waits for the next connection. Calling this again with the id of a send still
   * in progress returns that send's future; calling it again after the ack gets the original ack
   * from the server (within its dedup window, the user's last 10,000 sends).
   *
   * <p>Fails with
   * <ul>
   *   <li>{@link ServerErrorException} for an answer not worth retrying: {@code BAD_REQUEST} (an id
   *   over 128 characters, an invalid recipient, content over the server's limit), {@code
   *   INTERNAL}, and for a group post {@code FORBIDDEN} or {@code NOT_FOUND}; also every send
   *   still pending when the client stops for good ({@code AUTH_FAILED}, {@code LIMIT_EXCEEDED},
   *   {@code SESSION_REPLACED}, {@code LOGGED_IN_ELSEWHERE}, the exception carrying that code);
   *   <li>{@link TimeoutException} when {@link ClientOptions#sendRetryTimeout()} passes without an
   *   ack: the message may or may not have been stored; send again under the same id to find out
   *   without duplicating it;
   *   <li>{@link ConnectionLostException} when the client is closed (before or while the send is
   *   pending) or was stopped by an authentication failure before this call;
   *   <li>{@link io.insync.core.codec.ProtocolException} ({@code FRAME_TOO_LARGE}) when the encoded
   *   message is over {@link ClientOptions#maxFrameBytes()}.
   * </ul>
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code clientMsgId} is empty
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
      } else if (state == State.FAILED) {
        result.completeExceptionally(new ConnectionLostException("authentication failed; connect again"));
      } else {
        sends.submit(clientMsgId, to, content, result);
      }
    });
    return result;
  }

  /** Marks a send queue entry as a group post ('#' is never in an id). */
  private static final String GROUP_MARK = "#";

  /**
   * Posts to a group under a new random {@code client_msg_id}; see {@link #sendToGroup(String,
   * String, Content)}, which also says how it fails.
   */
  public CompletableFuture<SendAck> sendToGroup(String group, Content content) {
    return sendToGroup(UUID.randomUUID().toString(), group, content);
  }

  /**
   * Posts a message to a group this user is a member of, with the same retries as {@link
   * #send(String, String, Content)}. The ack ({@code SendAck.group} set, {@code seq} the message's
   * seq in the group) means the group logged it; every member, this user's devices included, then
   * gets it as an item with {@code group} set. Retried posts are deduplicated by the group (its
   * last 10,000 posts). Fails as {@link #send(String, String, Content)} does, and with {@link
   * ServerErrorException} {@code FORBIDDEN} for a non-member and {@code NOT_FOUND} for an unknown
   * group.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code clientMsgId} is empty
   */
  public CompletableFuture<SendAck> sendToGroup(String clientMsgId, String group, Content content) {
    Objects.requireNonNull(group, "group");
    return send(clientMsgId, GROUP_MARK + group, content);
  }

  /**
   * Creates a group owned by this user with {@code members} besides it. Safe to call again with
   * the same id (answered with the group as it is). {@code name} may be null (none). Fails with
   * {@link ServerErrorException} {@code FORBIDDEN} (the id is someone else's group), {@code
   * LIMIT_EXCEEDED} (too many members), {@code BAD_REQUEST} (an invalid group or member id), {@code
   * UNAVAILABLE} (busy: retry); and as every request does (class comment): {@link
   * ConnectionLostException}, {@link TimeoutException}.
   *
   * @throws NullPointerException if {@code group} or {@code members} is null
   */
  public CompletableFuture<GroupInfo> createGroup(String group, String name, List<String> members) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(members, "members");
    return groupRequest(id -> Envelope.newBuilder().setRequestId(id).setGroupCreate(GroupCreate.newBuilder()
        .setGroup(group).setName(name == null ? "" : name).addAllMembers(members)).build());
  }

  /**
   * Changes a group's membership: {@code GROUP_JOINED} (add), {@code GROUP_REMOVED}, {@code
   * GROUP_LEFT} (no members), {@code GROUP_OWNER_CHANGED} (one member), {@code GROUP_ADMIN_ADDED},
   * {@code GROUP_ADMIN_REMOVED}. Safe to repeat. See docs/protocol.md, "Groups", for who may.
   * Fails with {@link ServerErrorException} {@code NOT_FOUND} (no such group), {@code FORBIDDEN}
   * (this user may not make the change), {@code LIMIT_EXCEEDED} (past the group's max members),
   * {@code BAD_REQUEST} (an invalid id or change), {@code UNAVAILABLE} (busy: retry); and as every
   * request does (class comment): {@link ConnectionLostException}, {@link TimeoutException}.
   *
   * @throws NullPointerException if an argument is null
   */
  public CompletableFuture<GroupInfo> changeGroup(String group, GroupEventType change, List<String> members) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(change, "change");
    Objects.requireNonNull(members, "members");
    return groupRequest(id -> Envelope.newBuilder().setRequestId(id).setGroupChange(GroupChange.newBuilder()
        .setGroup(group).setChange(change).addAllMembers(members)).build());
  }

  /**
   * A group's membership. Fails with {@link ServerErrorException} {@code FORBIDDEN} (not a
   * member), {@code NOT_FOUND} (no such group), {@code UNAVAILABLE} (busy: retry); and as every
   * request does (class comment): {@link ConnectionLostException}, {@link TimeoutException}.
   *
   * @throws NullPointerException if {@code group} is null
   */
  public CompletableFuture<GroupInfo> groupInfo(String group) {
    Objects.requireNonNull(group, "group");
    return groupRequest(id -> Envelope.newBuilder().setRequestId(id).setGroupGet(GroupGet.newBuilder().setGroup(group))
        .build());
  }

  private CompletableFuture<GroupInfo> groupRequest(java.util.function.LongFunction<Envelope> build) {
    return answered(build, Envelope.CommandCase.GROUP_INFO, Envelope::getGroupInfo);
  }

  /**
   * Marks the 1:1 conversation with {@code peer} read up to {@code upTo} (a seq of this user's
   * inbox): stored for all of the user's devices, and the peer gets a read receipt unless read
   * receipts are off ({@link #setReadReceipts}). Safe to repeat; a mark never goes back. Fails
   * with {@link ServerErrorException} {@code BAD_REQUEST} (an invalid peer, {@code upTo} 0), {@code
   * UNAVAILABLE} (busy: retry); and as every request does (class comment): {@link
   * ConnectionLostException}, {@link TimeoutException}.
   *
   * @throws NullPointerException if {@code peer} is null
   */
  public CompletableFuture<Void> markRead(String peer, long upTo) {
    Objects.requireNonNull(peer, "peer");
    return done(id -> Envelope.newBuilder().setRequestId(id).setMarkRead(MarkRead.newBuilder().setPeer(peer)
        .setUpTo(upTo)).build());
  }

  /**
   * {@link #markRead} for a group: the group counts the read for its senders. Fails as {@link
   * #markRead} does.
   *
   * @throws NullPointerException if {@code group} is null
   */
  public CompletableFuture<Void> markGroupRead(String group, long upTo) {
    Objects.requireNonNull(group, "group");
    return done(id -> Envelope.newBuilder().setRequestId(id).setMarkRead(MarkRead.newBuilder().setGroup(group)
        .setUpTo(upTo)).build());
  }

  /**
   * The user's registered devices, oldest first. Fails with {@link ServerErrorException} {@code
   * UNAVAILABLE} (busy: retry); and as every request does (class comment): {@link
   * ConnectionLostException}, {@link TimeoutException}.
   */
  public CompletableFuture<List<DeviceInfo>> listDevices() {
    return answered(id -> Envelope.newBuilder().setRequestId(id).setListDevices(ListDevices.getDefaultInstance()).build(),
        Envelope.CommandCase.DEVICE_LIST, env -> env.getDeviceList().getDevicesList());
  }

  /**
   * Removes one of the user's devices (this one included): its session is closed and its token
   * refused from then on. Safe to repeat. Fails with {@link ServerErrorException} {@code
   * NOT_FOUND} (a device never registered), {@code BAD_REQUEST} (an invalid id), {@code
   * UNAVAILABLE} (busy: retry); and as every request does (class comment): {@link
   * ConnectionLostException}, {@link TimeoutException}. Removing this client's own device stops
   * it: its connection is closed with {@code AUTH_FAILED}, and it does not reconnect.
   *
   * @throws NullPointerException if {@code device} is null
   */
  public CompletableFuture<Void> removeDevice(String device) {
    Objects.requireNonNull(device, "device");
    return done(id -> Envelope.newBuilder().setRequestId(id).setRemoveDevice(RemoveDevice.newBuilder()
        .setDevice(device)).build());
  }

  /**
   * Turns sending read receipts on (the default) or off for this user (all its devices). Fails
   * with {@link ServerErrorException} {@code UNAVAILABLE} (busy: retry); and as every request does
   * (class comment): {@link ConnectionLostException}, {@link TimeoutException}.
   */
  public CompletableFuture<Void> setReadReceipts(boolean on) {
    return done(id -> Envelope.newBuilder().setRequestId(id).setSetPrefs(SetPrefs.newBuilder()
        .setReadReceiptsOff(!on)).build());
  }

  /**
   * Who got and read this user's message {@code groupSeq} in {@code group}. Fails with {@link
   * ServerErrorException} {@code FORBIDDEN} (not the message's sender), {@code NOT_FOUND} (not a
   * message, or older than the group's last 10,000 posts), {@code UNAVAILABLE} (busy: retry); and as
   * every request does (class comment): {@link ConnectionLostException}, {@link TimeoutException}.
   *
   * @throws NullPointerException if {@code group} is null
   */
  public CompletableFuture<GroupReceipts> groupReceipts(String group, long groupSeq) {
    Objects.requireNonNull(group, "group");
    return answered(id -> Envelope.newBuilder().setRequestId(id).setGroupReceiptsGet(GroupReceiptsGet.newBuilder()
        .setGroup(group).setGroupSeq(groupSeq)).build(), Envelope.CommandCase.GROUP_RECEIPTS,
        Envelope::getGroupReceipts);
  }

  /**
   * One page of a filtered view: items after {@code fromKey} of one conversation ({@code peer}, or
   * {@code group}; null for any) and/or one {@code kind} (null for any). The answer's sync_key is
   * the last seq the server looked at: page on from it, never ack it. No side effects. Fails with
   * {@link ServerErrorException} {@code BAD_REQUEST} ({@code peer} and {@code group} both set, an
   * invalid id, a key ahead of the inbox), {@code FORBIDDEN} (a group this user is not in), {@code
   * UNAVAILABLE} (busy: retry); and as every request does (class comment): {@link
   * ConnectionLostException}, {@link TimeoutException}.
   */
  public CompletableFuture<SyncResult> sync(long fromKey, int maxItems, String peer, String group, ItemKind kind) {
    return answered(id -> {
      Sync.Builder b = Sync.newBuilder().setSyncKey(fromKey).setMaxItems(Math.max(0, maxItems));
      if (peer != null) b.setPeer(peer);
      if (group != null) b.setGroup(group);
      if (kind != null) b.setKind(kind);
      return Envelope.newBuilder().setRequestId(id).setSync(b).build();
    }, Envelope.CommandCase.SYNC_RESULT, Envelope::getSyncResult);
  }

  private CompletableFuture<Void> done(java.util.function.LongFunction<Envelope> build) {
    return answered(build, Envelope.CommandCase.DONE, env -> null);
  }

  /** One request answered by {@code answer} (else by an Error, which fails the future). */
  private <T> CompletableFuture<T> answered(java.util.function.LongFunction<Envelope> build,
      Envelope.CommandCase answer, java.util.function.Function<Envelope, T> take) {
    CompletableFuture<T> result = new CompletableFuture<>();
    onLoop(result, () -> {
      if (!isReady()) {
        result.completeExceptionally(new ConnectionLostException("not connected"));
        return;
      }
      request(build).whenComplete((env, err) -> {
        if (err != null) result.completeExceptionally(err);
        else if (env.getCommandCase() == answer) result.complete(take.apply(env));
        else if (env.hasError()) result.completeExceptionally(new ServerErrorException(env.getError()));
        else result.completeExceptionally(unexpected(env));
      });
    });
    return result;
  }

  /**
   * Fetches one page of at most {@code maxItems} items after {@code fromKey} (0: the server's
   * page size); no side effects (nothing is stored or acked, the listener is not called). With
   * automatic sync off, this and {@link #ack(long)} are how an application reads its inbox.
   * Fails with {@link ServerErrorException} {@code BAD_REQUEST} when {@code fromKey} is ahead of
   * the inbox (the key belongs to another inbox: start over from 0), {@code UNAVAILABLE} (busy:
   * retry); and as every request does (class comment): {@link ConnectionLostException} (at once if
   * the client is not connected), {@link TimeoutException}.
   */
  public CompletableFuture<SyncResult> sync(long fromKey, int maxItems) {
    // an Error answer fails with ServerErrorException, as for every other request
    return answered(id -> Envelopes.sync(id, fromKey, maxItems), Envelope.CommandCase.SYNC_RESULT,
        Envelope::getSyncResult);
  }

  /**
   * Records that the application has stored everything up to {@code key}: raises the local
   * sync key (and the store) if {@code key} is higher, and sends {@code Ack} if connected.
   * Needed only when automatic sync is off. Keys are uint64: compared unsigned. Never fails: a
   * key store that throws is logged, and while disconnected the {@code Ack} goes out on the next
   * connection; after {@link #close()} it does nothing.
   */
  public void ack(long key) {
    onLoop(null, () -> cursor.ack(key));
  }

  /**
   * The current sync key: the highest seq handed to the application (or acked by it). A uint64:
   * read it with {@link Long#toUnsignedString(long)} if it may be 2^63 or more. Safe from any
   * thread.
   */
  public long syncKey() {
    return cursor.key();
  }

  /**
   * Items the server sent again after this client had handed them to the application (a sync
   * from an older key, a page that overlapped one already taken), dropped here so that the
   * application sees each seq once. A statistic: after a failover or a reconnect it says how
   * much the server resent; it never affects what the application receives.
   */
  public long duplicateItemsDropped() {
    return cursor.duplicatesDropped();
  }

  /** True while an authenticated connection is up (safe from any thread; a snapshot). */
  public boolean isConnected() {
    return connected;
  }

  /**
   * Closes the connection for good: fails every outstanding request and send with {@link
   * ConnectionLostException}, stops reconnecting and, if the client made its own event loop
   * group, shuts it down. Idempotent; never throws. Called off the event loop it waits up to 5 s
   * for the teardown; a pending {@code Ack} is sent first.
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

  private boolean isReady() {
    return state == State.READY && channel != null;
  }

  /**
   * The next connection attempt; first, once per reconnect and unless a Redirect named gateways still to
   * try, the access endpoint is asked for the gateways to try (its answer, or none, then the own addresses).
   */
  private void startAttempt() {
    if (access == null || accessAsked || detour.hasTargets()) {
      connectNext();
      return;
    }
    accessAsked = true;
    state = State.CONNECTING;
    closingError = null;
    long lookup = ++lookups;
    access.fetch().whenComplete((gateways, err) -> {
      try {
        loop.execute(() -> {
          if (lookup != lookups || state != State.CONNECTING || channel != null) {
            return; // closed, or overtaken meanwhile
          }
          if (err != null) {
            LOG.log(System.Logger.Level.DEBUG, "insync access endpoint {0} did not answer ({1}): using the "
                + "configured addresses", access.uri(), err.toString());
          } else {
            detour.offered(gateways);
          }
          connectNext();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the event loop is shut down: the client is closed
      }
    });
  }

  private void connectNext() {
    InetSocketAddress address = nextAddress();
    current = address;
    state = State.CONNECTING;
    closingError = null;
    ChannelFuture cf = options.localAddress().isPresent()
        ? bootstrap.connect(address, new InetSocketAddress(options.localAddress().get(), 0))
        : bootstrap.connect(address);
    Channel ch = cf.channel();
    channel = ch;
    cf.addListener(f -> {
      if (ch != channel) {
        ch.close();
        return;
      }
      if (!f.isSuccess()) {
        attemptFailed(new ConnectionLostException("cannot connect to " + address, f.cause()), 0);
        return;
      }
      state = State.AUTHENTICATING;
      authenticate(ch);
    });
  }

  /** A gateway a Redirect named, else the plan's next address that is not the one leaving. */
  private InetSocketAddress nextAddress() {
    InetSocketAddress named = detour.nextTarget();
    if (named != null) {
      return named;
    }
    for (int i = 0; i < addresses.size(); i++) {
      InetSocketAddress a = addresses.get(plan.address());
      if (!detour.avoids(a)) {
        return a;
      }
      plan.skip();
    }
    return addresses.get(plan.address()); // only the leaving one is known: wait for it to come back
  }

  private void authenticate(Channel ch) {
    String token;
    try {
      token = options.tokenSupplier().get();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync token supplier failed", e);
      attemptFailed(new ConnectionLostException("token supplier failed", e), 0);
      return;
    }
    request(id -> Envelopes.auth(id, token, options.clientVersion(), options.platform())).whenComplete((env, err) -> {
      if (ch != channel) {
        return;
      }
      if (err != null) {
        attemptFailed(err, 0);
      } else if (env.hasAuthOk()) {
        onAuthenticated(env.getAuthOk());
      } else if (env.hasError()) {
        onAuthError(env.getError());
      } else {
        attemptFailed(unexpected(env), 0);
      }
    });
  }

  private void onAuthenticated(AuthOk ok) {
    state = State.READY;
    connected = true;
    plan.onAuthenticated();
    detour.onAuthenticated();
    accessAsked = false;
    lastAuthOk = ok;
    listener.onConnected(ok);
    drainWaiters().forEach(w -> w.complete(ok));
    if (state != State.READY) {
      return; // a callback closed the client
    }
    startHeartbeat(ok);
    sends.onReady();
    acks.onConnected();
    cursor.onConnected();
  }

  private void onAuthError(Error error) {
    ServerErrorException cause = new ServerErrorException("authentication refused", error);
    if (error.getCode() == ErrorCode.AUTH_FAILED || error.getCode() == ErrorCode.LIMIT_EXCEEDED) {
      authFailed(error); // a removed device, or one past the user's max-devices: retrying cannot cure it
    } else if (error.getCode() == ErrorCode.LOGGED_IN_ELSEWHERE) {
      sessionReplaced(error); // a later login of another device won: retrying would log that one out
    } else if (plan.established() || retryableAuthError(error.getCode())) {
      attemptFailed(cause, Backoff.retryAfterMs(error));
    } else {
      detach(cause, State.IDLE);
      drainWaiters().forEach(w -> w.completeExceptionally(cause));
    }
  }

  /** Errors to Auth that another attempt (later, or at another address) may not get. */
  private static boolean retryableAuthError(ErrorCode code) {
    return Backoff.isTransient(code) || code == ErrorCode.INTERNAL;
  }

  private void authFailed(Error error) {
    String reason = error.getReason().isEmpty() ? "" : " (" + error.getReason() + ")";
    ServerErrorException cause = new ServerErrorException(
        "authentication failed" + reason + "; the client stopped and will not reconnect", error);
    plan.onAuthFailed();
    detach(cause, State.FAILED);
    Scheduler.cancel(reconnectTask);
    drainWaiters().forEach(w -> w.completeExceptionally(cause));
    sends.failAll(cause);
  }

  /**
   * Another connection of this user's device (another client instance with the same token's
   * device) authenticated, or the login policy logged this device out for another one
   * (LOGGED_IN_ELSEWHERE): reconnecting would only take the place back, and the two would evict
   * each other forever. Stop as after AUTH_FAILED; {@link #connect()} takes over again.
   */
  private void sessionReplaced(Error error) {
    ServerErrorException cause = new ServerErrorException(
        (error.getCode() == ErrorCode.LOGGED_IN_ELSEWHERE
            ? "another device of this user logged in (LOGGED_IN_ELSEWHERE: the login policy)"
            : "another connection of this device took over (SESSION_REPLACED)")
            + "; the client stopped and will not reconnect; connect() again to take the device back", error);
    plan.onAuthFailed();
    detach(cause, State.FAILED);
    Scheduler.cancel(reconnectTask);
    drainWaiters().forEach(w -> w.completeExceptionally(cause));
    sends.failAll(cause);
  }

  /**
   * The current connection (or connection attempt) is gone: try the next address after a
   * backoff, or give up if a first connect has run out of time.
   */
  private void attemptFailed(Throwable cause, long retryAfterMs) {
    if (state == State.CLOSED || state == State.FAILED) {
      return;
    }
    long delay = plan.afterFailure(retryAfterMs);
    if (delay < 0) {
      detach(cause, State.IDLE);
      Throwable failure = cause instanceof ServerErrorException se
          ? new ServerErrorException("gave up connecting after " + options.connectRetryTimeout()
              + "; last answer: " + se.getMessage(), se.error())
          : new ConnectionLostException("could not connect to any of " + addresses + " within "
              + options.connectRetryTimeout(), cause);
      drainWaiters().forEach(w -> w.completeExceptionally(failure));
      return;
    }
    detach(cause, State.WAITING);
    reconnectTask = loop.schedule(() -> {
      if (state == State.WAITING) {
        startAttempt();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Tears down the connection's state: closes the channel, fails outstanding requests (sends
   * among them go back in the queue) and stops the sync loop. Later events from the old
   * channel are ignored.
   */
  private void detach(Throwable cause, State next) {
    Channel ch = channel;
    boolean wasReady = state == State.READY;
    channel = null;
    closingError = null;
    state = next;
    connected = false;
    Scheduler.cancel(heartbeatTask);
    heartbeatTask = null;
    acks.onDisconnected();
    cursor.onDisconnected();
    if (ch != null) {
      ch.close();
    }
    pending.failAll(new ConnectionLostException(next == State.CLOSED ? "client closed" : "connection closed", cause));
    if (wasReady) {
      listener.onDisconnected(next == State.CLOSED ? null : cause);
    }
  }

  private void doClose() {
    if (state == State.CLOSED) {
      return;
    }
    Scheduler.cancel(reconnectTask);
    acks.flush(); // the last Ack, if one is waiting for its interval
    detach(null, State.CLOSED);
    ConnectionLostException closed = new ConnectionLostException("client closed");
    drainWaiters().forEach(w -> w.completeExceptionally(closed));
    sends.failAll(closed);
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
      case NOTIFY -> {
        listener.onNotify(env.getNotify());
        cursor.onNotify(env.getNotify());
      }
      case ERROR -> onError(env);
      case REDIRECT -> onRedirect(env.getRedirect());
      case HEARTBEAT -> {
        if (!pending.complete(env)) {
          cursor.onLatestSeq(env.getHeartbeat().getLatestSeq());
        }
      }
      case SEND_ACK -> {
        if (!pending.complete(env)) {
          sends.onUnsolicitedAck(env.getSendAck());
        }
      }
      default -> {
        if (!pending.complete(env)) {
          LOG.log(System.Logger.Level.DEBUG, "insync client ignored {0} (request id {1})",
              env.getCommandCase(), Long.toUnsignedString(env.getRequestId()));
        }
      }
    }
  }

  private void onError(Envelope env) {
    Error error = env.getError();
    listener.onError(error);
    if (channel == null || pending.complete(env)) {
      return;
    }
    if (error.getCode() == ErrorCode.AUTH_FAILED) {
      authFailed(error);
    } else if (error.getCode() == ErrorCode.SESSION_REPLACED || error.getCode() == ErrorCode.LOGGED_IN_ELSEWHERE) {
      sessionReplaced(error);
    } else if (error.getFatal()) {
      LOG.log(System.Logger.Level.DEBUG, "insync server sent fatal error {0}: {1}",
          error.getCode(), error.getReason());
      closingError = error;
    }
  }

  /**
   * The gateway is stopping: nothing more is done on this connection. The client closes it,
   * fails what is outstanding on it (sends go back in the queue and are sent again, under the same
   * client_msg_id, once the next connection is authenticated; the sync resumes from the key), and
   * connects to one of the named gateways, else to its own addresses, never to the leaving one.
   * The new attempt starts after a random part of the server's grace (at most 1 s), so that the
   * clients of a leaving gateway do not all arrive elsewhere in the same instant.
   */
  private void onRedirect(Redirect redirect) {
    listener.onRedirect(redirect);
    if (channel == null || state == State.CLOSED || state == State.FAILED) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, "insync gateway {0} redirects to {1}: {2}", current,
        redirect.getTcpList(), redirect.getReason());
    if (isReady()) {
      acks.flush(); // the last Ack, if one is waiting for its interval
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    detour.redirected(current, redirect.getTcpList(), random);
    long spread = Math.min(redirect.getGraceMs() / 2, 1000);
    long delay = spread > 0 ? random.nextLong(spread + 1) : 0;
    detach(new ConnectionLostException("the gateway redirected the client: " + redirect.getReason()), State.WAITING);
    reconnectTask = loop.schedule(() -> {
      if (state == State.WAITING) {
        startAttempt();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void onChannelClosed(Throwable failure) {
    Error why = closingError;
    if (why != null && state == State.AUTHENTICATING) {
      onAuthError(why); // the server's last word before closing answers the Auth
    } else if (why != null) {
      attemptFailed(new ServerErrorException(why), Backoff.retryAfterMs(why));
    } else {
      attemptFailed(failure != null ? failure : new ConnectionLostException("connection closed by the server"), 0);
    }
  }

  // ---------------------------------------------------------------- requests

  /** Sends a request on the current channel; the future gets the reply (Error included). */
  private CompletableFuture<Envelope> request(LongFunction<Envelope> build) {
    Channel ch = channel;
    if (ch == null) {
      return CompletableFuture.failedFuture(new ConnectionLostException("not connected"));
    }
    long id = pending.nextId();
    Envelope env = build.apply(id);
    CompletableFuture<Envelope> reply = pending.register(id, env.getCommandCase().name().toLowerCase(Locale.ROOT));
    ch.writeAndFlush(env).addListener(f -> {
      if (!f.isSuccess()) {
        pending.fail(id, f.cause());
      }
    });
    return reply;
  }

  /** The current connection as the send queue and the sync cursor see it. */
  private final class Wire implements SendQueue.Link, SyncCursor.Link, AckThrottle.Out {
    @Override
    public boolean ready() {
      return isReady();
    }

    @Override
    public CompletableFuture<Envelope> send(String clientMsgId, String to, Content content, int attempt,
        String after) {
      if (to.startsWith(GROUP_MARK)) {
        // a group post waits for no 1:1 send: the group logs posts in the order it gets them
        return request(id -> Envelopes.sendToGroup(id, clientMsgId, to.substring(GROUP_MARK.length()), content, attempt));
      }
      return request(id -> Envelopes.send(id, clientMsgId, to, content, attempt, after));
    }

    @Override
    public CompletableFuture<Envelope> sync(long from, int maxItems) {
      return request(id -> Envelopes.sync(id, from, maxItems));
    }

    @Override
    public void ack(long key) {
      acks.offer(key);
    }

    @Override
    public void send(long key) {
      channel.writeAndFlush(Envelopes.ack(pending.nextId(), key));
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
    if (ch != channel || !isReady()) {
      return;
    }
    request(id -> Envelopes.heartbeat(id, 0)).whenComplete((env, err) -> {
      if (ch != channel) {
        return;
      }
      if (err instanceof TimeoutException) {
        attemptFailed(new ConnectionLostException("heartbeat not answered", err), 0);
      } else if (env != null && env.hasHeartbeat()) {
        cursor.onLatestSeq(env.getHeartbeat().getLatestSeq());
      }
    });
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

  private static IllegalStateException unexpected(Envelope env) {
    if (env.hasError()) {
      return new IllegalStateException(new ServerErrorException(env.getError()).getMessage());
    }
    return new IllegalStateException("unexpected reply: " + env.getCommandCase());
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
        onChannelClosed(failure);
      }
    }
  }
}
