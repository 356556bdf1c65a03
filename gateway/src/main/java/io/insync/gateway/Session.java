package io.insync.gateway;

import io.insync.cluster.auth.RevocationView;
import io.insync.cluster.flags.FlagView;
import io.insync.core.Ids;
import io.insync.core.auth.InvalidTokenException;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.RouteChanges;
import io.insync.persistence.metrics.InsyncMetrics;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Send;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ExtensibleBehavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.japi.function.Function2;

/**
 * One connection's session: authenticates the device, turns client frames into commands to the
 * user's entity, and entity pushes into Notify frames. Lives exactly as long as its channel.
 *
 * <p>Phases (one behavior object, dispatching on its phase): <em>unauthenticated</em> (only Auth is served) →
 * <em>authenticating</em> (the token is good; waiting for the entity's Connected, later frames
 * held up to {@code stash-capacity}) → <em>authenticated</em> → <em>closing</em> (a fatal
 * Error was written; frames are dropped until the channel is gone).
 *
 * <p>Heartbeats are answered by the session itself, with the latest seq it knows (from the
 * entity's Connected at auth and from every NewItems push since): an idle device costs its
 * entity nothing, and the entity may be passivated while the device stays connected. The
 * session is in this node's {@link Presence} directory from its accepted Auth until it stops, so
 * an entity that starts again finds it and registers it (see {@code PresenceProtocol}).
 *
 * <p>Per-connection cost is kept small: one behavior object for the session's whole life (no
 * behaviors built per phase), the auth timeout a plain scheduled message (no timer scheduler),
 * frames before AuthOk held in a list made only when one arrives, pushes to the actor itself (no
 * message adapter).
 *
 * <p>Errors: a frame the server cannot use gets an {@code Error} with the same request id
 * ({@link FrameRules}); only auth failures, a refused or unanswered Auth, timeouts and replaced
 * sessions are fatal (the channel closes after the Error). Every client frame is answered
 * exactly once through {@link Connection}, which keeps the connection's backpressure count.
 */
public final class Session extends ExtensibleBehavior<Object> {

  /** What a session handles. */
  public interface Msg {}

  /** A decoded frame from the client. */
  public record FrameIn(Envelope envelope) implements Msg {}

  /** The channel is gone. */
  public enum Closed implements Msg { INSTANCE }

  private enum AuthTimedOut implements Msg { INSTANCE }

  /** Who the session is, from the accepted Auth; {@code startedAt} rides on every Connect. */
  /** Who this session is, since when, and the issue time of the token it authenticated with. */
  private record Device(String user, String device, long startedAt, java.time.Instant tokenIssuedAt) {}

  private record AuthDone(long requestId, Device who, UserEntity.Connected connected, Throwable failure)
      implements Msg {}

  private enum Request { SEND, SYNC, GROUP, USER }

  /** @param clientMsgId the Send's (SEND), or the group's id (GROUP, and SEND to a group: {@code group}) */
  private record Answered(Request kind, long requestId, String clientMsgId, Object reply, Throwable failure,
      String group) implements Msg {
    Answered(Request kind, long requestId, String clientMsgId, Object reply, Throwable failure) {
      this(kind, requestId, clientMsgId, reply, failure, "");
    }
  }

  /**
   * What every session of a gateway shares; {@code admission} is the node-wide in-flight bound,
   * {@code presence} this node's directory of authenticated sessions.
   */
  public record Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens, Admission admission, Clock clock,
      Presence presence, FlagView flags, FlaggedSyncPage syncPage, RevocationView revocations) {
    /** With a directory of its own that no entity asks (tests, a gateway without a cluster). */
    public Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens) {
      this(settings, users, tokens, new Presence());
    }

    public Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens, Presence presence) {
      this(settings, users, tokens, presence, FlagView.NONE, FlaggedSyncPage.NONE);
    }

    /** {@code flags}: this node's copy of the feature flags; {@code syncPage}: the behaviour behind one of them. */
    public Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens, Presence presence, FlagView flags,
        FlaggedSyncPage syncPage) {
      this(settings, users, tokens, presence, flags, syncPage, RevocationView.NONE);
    }

    /** {@code revocations}: this node's copy of the bans and token revocations. */
    public Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens, Presence presence, FlagView flags,
        FlaggedSyncPage syncPage, RevocationView revocations) {
      this(settings, users, tokens, new Admission(settings.admission()), Clock.systemUTC(), presence, flags, syncPage,
          revocations);
    }
  }

  /**
   * The actor takes {@link Msg} from the gateway and {@link UserEntity.DeviceEvent} pushes from
   * the entity, both on its own ref (typed as {@code Object} inside, {@code Msg} outside).
   */
  static Behavior<Msg> create(Connection connection, Deps deps) {
    return Behaviors.<Object>setup(ctx -> new Session(ctx, connection, deps)).narrow();
  }

  private final ActorContext<Object> ctx;
  private final Connection conn;
  private final Deps deps;
  private final ActorRef<UserEntity.DeviceEvent> pushes;
  private final org.apache.pekko.actor.typed.Scheduler scheduler;
  /** Until Auth is accepted; then null. */
  private Cancellable authTimer;
  /** Frames received while authenticating, made on the first one; null otherwise. */
  private List<Envelope> held;
  /** The newest seq of the user's inbox this session knows: the heartbeat answer. */
  private long latestSeq;

  private Session(ActorContext<Object> ctx, Connection conn, Deps deps) {
    this.ctx = ctx;
    this.conn = conn;
    this.deps = deps;
    this.pushes = ctx.getSelf().narrow();
    this.scheduler = ctx.getSystem().scheduler();
    this.authTimer = ctx.scheduleOnce(deps.settings().authTimeout(), ctx.getSelf(), AuthTimedOut.INSTANCE);
  }

  private GatewaySettings.RetryAfter retryAfter() {
    return deps.settings().retryAfter();
  }

  // ------------------------------------------------------------------ phases

  private enum Phase { UNAUTHENTICATED, AUTHENTICATING, AUTHENTICATED, CLOSING }

  private Phase phase = Phase.UNAUTHENTICATED;
  /** Who the session is, from its accepted Auth; null before. */
  private Device who;

  // One behavior object for the whole life of the session (no per-phase behaviors built from
  // cases and closures): every message is dispatched on the phase here.
  @Override
  public Behavior<Object> receive(TypedActorContext<Object> context, Object m) {
    if (m == Closed.INSTANCE) return Behaviors.stopped(); // PostStop below does the leaving
    return switch (phase) {
      case UNAUTHENTICATED -> {
        if (m instanceof FrameIn f) {
          Envelope env = f.envelope();
          Optional<Envelope> refusal = FrameRules.refusal(env);
          if (refusal.isPresent()) {
            conn.reply(refusal.get());
            yield Behaviors.same();
          }
          if (env.getCommandCase() == Envelope.CommandCase.AUTH) yield onAuth(env);
          conn.reply(Wire.error(env.getRequestId(), ErrorCode.UNAUTHENTICATED, "send Auth first", 0));
          yield Behaviors.same();
        }
        if (m == AuthTimedOut.INSTANCE) {
          yield fatal(0, ErrorCode.TIMEOUT,
              "not authenticated within " + deps.settings().authTimeout().toSeconds() + "s", 0, null);
        }
        yield Behaviors.same();
      }
      case AUTHENTICATING -> {
        if (m instanceof FrameIn f) {
          Optional<Envelope> refusal = FrameRules.refusal(f.envelope());
          if (refusal.isPresent()) {
            conn.reply(refusal.get());
          } else if (held != null && held.size() >= deps.settings().stashCapacity()) {
            conn.reply(Wire.error(f.envelope().getRequestId(), ErrorCode.RATE_LIMITED,
                "more than " + deps.settings().stashCapacity() + " frames before AuthOk", retryAfter().stashFull()));
          } else {
            if (held == null) held = new ArrayList<>(4);
            held.add(f.envelope());
          }
          yield Behaviors.same();
        }
        if (m instanceof AuthDone d) yield onAuthDone(d);
        if (m instanceof UserEntity.DeviceEvent p) yield onPush(who, p, false);
        yield Behaviors.same();
      }
      case AUTHENTICATED -> {
        if (m instanceof FrameIn f) yield onRequest(who, f.envelope());
        if (m instanceof Answered a) {
          conn.reply(answer(a));
          yield Behaviors.same();
        }
        if (m instanceof UserEntity.DeviceEvent p) yield onPush(who, p, true);
        yield Behaviors.same();
      }
      case CLOSING -> {
        if (m instanceof FrameIn) conn.done();
        yield Behaviors.same();
      }
    };
  }

  @Override
  public Behavior<Object> receiveSignal(TypedActorContext<Object> context, Signal signal) {
    if (signal instanceof PostStop) return leave(who);
    return Behaviors.same();
  }

  private Behavior<Object> authenticating(Device device) {
    who = device;
    phase = Phase.AUTHENTICATING;
    return Behaviors.same();
  }

  private Behavior<Object> authenticated(Device device) {
    who = device;
    phase = Phase.AUTHENTICATED;
    return Behaviors.same();
  }

  /** A fatal Error is on its way; the channel closes after it. {@code device} is null before Auth. */
  private Behavior<Object> closing(Device device) {
    who = device;
    phase = Phase.CLOSING;
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ auth

  private Behavior<Object> onAuth(Envelope env) {
    long requestId = env.getRequestId();
    TokenSigner.Claims claims;
    try {
      claims = deps.tokens().verify(env.getAuth().getToken(), deps.clock().instant());
    } catch (InvalidTokenException e) {
      return authRefused(requestId, ErrorCode.AUTH_FAILED, e.getMessage(), 0, null);
    }
    Optional<String> revoked = deps.revocations().refusal(claims.user(), claims.device(), claims.issuedAt(),
        deps.clock().instant());
    if (revoked.isPresent()) {
      return authRefused(requestId, ErrorCode.AUTH_FAILED, revoked.get(), 0, null);
    }
    // checked before a place in Admission is taken: a refusal here must not keep one
    if (env.getAuth().getPlatform().length() > 32) {
      return authRefused(requestId, ErrorCode.BAD_REQUEST, "platform is longer than 32 characters", 0, null);
    }
    if (!deps.admission().tryAcquireForAuth()) {
      return authRefused(requestId, ErrorCode.UNAVAILABLE, "node is busy, retry later or connect elsewhere",
          retryAfter().authRefused(), null);
    }
    authTimer.cancel();
    authTimer = null;
    // the moment this session's Auth was accepted: its Connect and its presence entry carry it
    Device who = new Device(claims.user(), claims.device(), deps.clock().millis(), claims.issuedAt());
    // in the directory before the Connect is sent: an entity starting in between finds it there
    deps.presence().register(who.user(), who.device(), pushes, who.startedAt());
    String platform = env.getAuth().getPlatform();
    askEntity(who, (ActorRef<UserEntity.Connected> replyTo) ->
            new UserEntity.Connect(who.device(), pushes, who.startedAt(), replyTo, platform),
        (ok, err) -> new AuthDone(requestId, who, ok, err), false);
    return authenticating(who);
  }

  private Behavior<Object> onAuthDone(AuthDone d) {
    if (d.failure() != null) {
      // the user's entity did not answer: the client should come back (maybe to another node)
      held = null;
      return authRefused(d.requestId(), ErrorCode.UNAVAILABLE, "user service not available, retry",
          retryAfter().entityTimeout(), d.who());
    }
    if (d.connected().refused() != null) {
      // a removed device, or one past max-devices: its token is refused
      held = null;
      deps.presence().unregister(d.who().user(), pushes);
      return authRefused(d.requestId(), d.connected().refused(), d.connected().reason(), 0, d.who());
    }
    InsyncMetrics.auth("ok");
    // from now on a ban or revocation arriving closes this session
    deps.revocations().admitted(d.who().user(), d.who().device(), d.who().tokenIssuedAt(), pushes);
    latestSeq = Math.max(latestSeq, d.connected().latestSeq());
    conn.reply(Wire.authOk(d.requestId(), d.who().user(), d.who().device(), d.connected(),
        deps.settings().heartbeatSeconds()));
    List<Envelope> frames = held;
    held = null;
    if (frames != null) for (Envelope env : frames) onRequest(d.who(), env);
    return authenticated(d.who());
  }

  /** An Auth refused: counted by its code, then the fatal Error. */
  private Behavior<Object> authRefused(long requestId, ErrorCode code, String reason, int retryAfterMs, Device who) {
    InsyncMetrics.auth(code.name());
    return fatal(requestId, code, reason, retryAfterMs, who);
  }

  // ------------------------------------------------------------------ requests

  private Behavior<Object> onRequest(Device who, Envelope env) {
    Optional<Envelope> refusal = FrameRules.refusal(env);
    if (refusal.isPresent()) {
      conn.reply(refusal.get());
      return Behaviors.same();
    }
    long requestId = env.getRequestId();
    InsyncMetrics.request(commandName(env.getCommandCase()));
    // the user's flag segments, for insync.flag.requests/errors (what a flag's guarding rule compares)
    String[] segments = deps.flags().segments(who.user());
    conn.segments(segments);
    InsyncMetrics.flagRequest(segments);
    switch (env.getCommandCase()) {
      case SEND -> onSend(who, requestId, env.getSend());
      case SYNC -> onSync(who, env);
      case GROUP_CREATE, GROUP_CHANGE, GROUP_GET, GROUP_RECEIPTS_GET -> onGroup(who, requestId, env);
      case MARK_READ, LIST_DEVICES, REMOVE_DEVICE, SET_PREFS -> onUserRequest(who, requestId, env);
      case ACK -> {
        deps.users().user(who.user()).tell(Wire.ackKey(who.device(), env.getAck()));
        conn.done();
      }
      // answered here: the entity is not asked (it may be passivated; it finds this session again
      // through the presence directory when it starts, see PresenceProtocol)
      case HEARTBEAT -> conn.reply(Wire.heartbeat(requestId, latestSeq));
      case AUTH -> conn.reply(Wire.error(requestId, ErrorCode.BAD_REQUEST,
          "already authenticated as " + who.user() + "/" + who.device(), 0));
      default -> conn.reply(Envelopes.unsupported(env));
    }
    return Behaviors.same();
  }

  private void onSend(Device who, long requestId, Send send) {
    String problem = null;
    String group = send.getGroup();
    if (send.getClientMsgId().isEmpty()) problem = "client_msg_id is empty";
    else if (!group.isEmpty() && !send.getTo().isEmpty()) problem = "a Send names a user (to) or a group, not both";
    else if (!group.isEmpty() && !Ids.isValidUserId(group)) problem = "group '" + group + "' is not a valid id";
    else if (group.isEmpty() && !Ids.isValidUserId(send.getTo())) problem = "recipient '" + send.getTo() + "' is not a valid user id";
    if (problem != null) {
      InsyncMetrics.sendAnswered(ErrorCode.BAD_REQUEST.name(), 0);
      conn.reply(Wire.error(requestId, ErrorCode.BAD_REQUEST, problem, 0));
      return;
    }
    boolean admitted = send.getAttempt() > 0 ? deps.admission().tryAcquireForRetry() : deps.admission().tryAcquire();
    if (!admitted) {
      InsyncMetrics.sendAnswered(ErrorCode.UNAVAILABLE.name(), 0);
      conn.reply(Wire.error(requestId, ErrorCode.UNAVAILABLE,
          "node is busy; retry with the same client_msg_id", retryAfter().nodeBusy()));
      return;
    }
    String cmid = send.getClientMsgId();
    long asked = System.nanoTime();
    if (!group.isEmpty()) {
      askEntity(() -> deps.users().group(group),
          (ActorRef<UserEntity.SendResult> replyTo) -> Wire.post(who.user(), who.device(), send, replyTo),
          (res, err) -> {
            sendCompleted(res, err, asked);
            return new Answered(Request.SEND, requestId, cmid, res, err, group);
          }, true);
      return;
    }
    askEntity(who, (ActorRef<UserEntity.SendResult> replyTo) -> Wire.sendMessage(who.device(), send, replyTo),
        (res, err) -> {
          sendCompleted(res, err, asked);
          return new Answered(Request.SEND, requestId, cmid, res, err);
        }, true);
  }

  /** A Send's ask completed (answered or given up): Admission learns its time, the metrics its result. */
  private void sendCompleted(UserEntity.SendResult res, Throwable err, long askedNanos) {
    long took = System.nanoTime() - askedNanos;
    deps.admission().sendCompleted(took);
    String result = err != null ? ErrorCode.UNAVAILABLE.name()
        : res instanceof UserEntity.SendRejected r ? r.code().name() : "ok";
    InsyncMetrics.sendAnswered(result, took);
  }

  private static String commandName(Envelope.CommandCase c) {
    return c.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** GroupCreate, GroupChange, GroupGet: asked of the group's entity (each is safe to repeat). */
  private void onGroup(Device who, long requestId, Envelope env) {
    String group = switch (env.getCommandCase()) {
      case GROUP_CREATE -> env.getGroupCreate().getGroup();
      case GROUP_CHANGE -> env.getGroupChange().getGroup();
      case GROUP_RECEIPTS_GET -> env.getGroupReceiptsGet().getGroup();
      default -> env.getGroupGet().getGroup();
    };
    String problem = Ids.isValidUserId(group) ? Wire.groupProblem(env) : "group '" + group + "' is not a valid id";
    if (problem != null) {
      conn.reply(Wire.error(requestId, ErrorCode.BAD_REQUEST, problem, 0));
      return;
    }
    if (!admitted(requestId)) return;
    askEntity(() -> deps.users().group(group),
        (ActorRef<io.insync.persistence.group.GroupEntity.Reply> replyTo) -> Wire.groupCommand(who.user(), env, replyTo),
        (res, err) -> new Answered(Request.GROUP, requestId, group, res, err, group), true);
  }

  /** Takes a place in Admission, or answers UNAVAILABLE (the node is busy) and returns false. */
  private boolean admitted(long requestId) {
    if (deps.admission().tryAcquire()) return true;
    conn.reply(Wire.error(requestId, ErrorCode.UNAVAILABLE, "node is busy, retry later", retryAfter().nodeBusy()));
    return false;
  }

  /** MarkRead, ListDevices, RemoveDevice, SetPrefs: asked of the user's entity (each is safe to repeat). */
  private void onUserRequest(Device who, long requestId, Envelope env) {
    String problem = Wire.userRequestProblem(env);
    if (problem != null) {
      conn.reply(Wire.error(requestId, ErrorCode.BAD_REQUEST, problem, 0));
      return;
    }
    if (!admitted(requestId)) return;
    askEntity(who, (ActorRef<Object> replyTo) -> Wire.userCommand(who.device(), env, replyTo),
        (res, err) -> new Answered(Request.USER, requestId, null, res, err), true);
  }

  private void onSync(Device who, Envelope env) {
    long requestId = env.getRequestId();
    String problem = Wire.syncKeyProblem(env.getSync().getSyncKey());
    if (problem == null) problem = Wire.syncFilterProblem(env.getSync());
    if (problem != null) {
      conn.reply(Wire.error(requestId, ErrorCode.BAD_REQUEST, problem, 0));
      return;
    }
    if (!deps.admission().tryAcquire()) {
      conn.reply(Wire.error(requestId, ErrorCode.UNAVAILABLE, "node is busy, sync again later", retryAfter().nodeBusy()));
      return;
    }
    io.insync.protocol.Sync sync = env.getSync();
    if (deps.syncPage().appliesTo(who.user(), deps.flags())) {
      if (deps.syncPage().testFault()) {
        deps.admission().release();
        InsyncMetrics.syncAnswered(ErrorCode.INTERNAL.name());
        conn.reply(Wire.error(requestId, ErrorCode.INTERNAL, "flagged sync page: test fault "
            + "(insync.gateway.flagged.sync-page.test-fault)", 0));
        return;
      }
      sync = deps.syncPage().limit(sync);
    }
    io.insync.protocol.Sync asked = sync;
    askEntity(who, (ActorRef<UserEntity.SyncResult> replyTo) -> Wire.sync(who.device(), asked, replyTo),
        (res, err) -> {
          InsyncMetrics.syncAnswered(err != null ? ErrorCode.UNAVAILABLE.name()
              : res instanceof UserEntity.SyncFailed f ? f.code().name() : "ok");
          return new Answered(Request.SYNC, requestId, null, res, err);
        }, true);
  }

  private Envelope answer(Answered a) {
    if (a.failure() != null) {
      String reason = switch (a.kind()) {
        case SEND -> "message " + a.clientMsgId() + " not yet confirmed; retry with the same client_msg_id";
        case SYNC -> "sync not answered in time, retry";
        case GROUP -> "group " + a.group() + " did not answer in time; retry (it is safe to repeat)";
        case USER -> "not answered in time; retry (it is safe to repeat)";
      };
      return Wire.error(a.requestId(), ErrorCode.UNAVAILABLE, reason, retryAfter().entityTimeout());
    }
    return switch (a.kind()) {
      case SEND -> Wire.sendResult(a.requestId(), (UserEntity.SendResult) a.reply(), a.group());
      case SYNC -> Wire.syncResult(a.requestId(), (UserEntity.SyncResult) a.reply());
      case GROUP -> Wire.groupResult(a.requestId(), (io.insync.persistence.group.GroupEntity.Reply) a.reply());
      case USER -> Wire.userResult(a.requestId(), a.reply());
    };
  }

  /**
   * Asks the user's entity; the caller has taken a place in {@link Admission}, which is given
   * back when the ask completes (answered or timed out), whether or not this session still lives.
   * With {@code retry} (Send, Sync: safe to repeat) an attempt unanswered within {@code
   * entity-attempt-timeout} is asked again, until {@code request-timeout} has passed in all: a
   * command lost while the entity's shard moved (the entity stopped before it answered) reaches it
   * at its new home. The place in Admission is held across the attempts. A saturated node (at
   * {@code admission.max-in-flight}) does not ask again: its entities are queueing, not losing
   * commands, and a second copy of each would only deepen the queue.
   */
  private <T> void askEntity(Device who, Function<ActorRef<T>, UserEntity.Command> command,
      Function2<T, Throwable, Object> adapt, boolean retry) {
    String user = who.user();
    askEntity(() -> deps.users().user(user), command, adapt, retry);
  }

  /** {@link #askEntity(Device, Function, Function2, boolean)} of any entity (a group's). */
  private <C, T> void askEntity(java.util.function.Supplier<RecipientRef<C>> target, Function<ActorRef<T>, C> command,
      Function2<T, Throwable, Object> adapt, boolean retry) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    long deadline = System.nanoTime() + deps.settings().requestTimeout().toNanos();
    attempt(target, command, answer, deadline, retry);
    answer.whenComplete((r, e) -> deps.admission().release());
    ctx.pipeToSelf(answer, adapt);
  }

  /**
   * One attempt of {@link #askEntity}; runs on the thread that completed the previous one. With
   * {@code retry}, a route change ({@link RouteChanges}: a node was removed, so the command may have
   * gone to its shards and been lost) starts the next attempt at once instead of at this one's
   * timeout. An answer to any attempt completes the request.
   */
  private <C, T> void attempt(java.util.function.Supplier<RecipientRef<C>> target, Function<ActorRef<T>, C> command,
      CompletableFuture<T> answer, long deadlineNanos, boolean retry) {
    long left = deadlineNanos - System.nanoTime();
    long perAttempt = retry ? Math.min(left, deps.settings().entityAttemptTimeout().toNanos()) : left;
    Duration timeout = Duration.ofNanos(Math.max(1, perAttempt));
    RouteChanges routes = deps.users().routeChanges();
    // set once this attempt is over: timed out and followed by the next one, or superseded
    java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
    RouteChanges.Registration[] registration = new RouteChanges.Registration[1];
    // with retry only (Send: deduplicated, Sync: reads). Not an Auth's Connect: asked again, a late
    // Connect of a session the client already gave up on competed with the client's next session
    // (FailoverIT saw devices told SESSION_REPLACED); a client whose Auth fails reconnects anyway.
    if (retry) {
      registration[0] = routes.listen(() -> {
        if (!answer.isDone() && deadlineNanos - System.nanoTime() > MIN_ATTEMPT_NANOS && over.compareAndSet(false, true)) {
          RouteChanges.Registration mine = registration[0];
          if (mine != null) mine.cancel(); // else the ask's completion cancels it
          attempt(target, command, answer, deadlineNanos, true);
        }
      });
    }
    AskPattern.ask(target.get(), command, timeout, scheduler).whenComplete((r, e) -> {
      if (registration[0] != null) registration[0].cancel();
      if (e == null) {
        answer.complete(r); // a superseded attempt's answer is as good as the newer one's
      } else if (!over.compareAndSet(false, true)) {
        // superseded after a route change: the newer attempt answers
      } else if (retry && isTimeout(e) && deadlineNanos - System.nanoTime() > MIN_ATTEMPT_NANOS
          && !deps.admission().saturated()) {
        attempt(target, command, answer, deadlineNanos, true); // the same command: idempotent
      } else {
        answer.completeExceptionally(e);
      }
    });
  }

  /** An attempt with less time than this left is not started: the client is told to retry instead. */
  private static final long MIN_ATTEMPT_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);

  private static boolean isTimeout(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return t instanceof java.util.concurrent.TimeoutException;
  }

  // ------------------------------------------------------------------ pushes and the end

  private Behavior<Object> onPush(Device who, UserEntity.DeviceEvent event, boolean authenticated) {
    if (event instanceof UserEntity.NewItems n) {
      // the heartbeat answer from now on, even when the Notify itself is dropped
      latestSeq = Math.max(latestSeq, n.latestSeq());
      // before AuthOk the client syncs anyway; after it, a slow client does not get pushes piled up
      if (authenticated) conn.push(Wire.notify(n));
      return Behaviors.same();
    }
    if (event instanceof UserEntity.LoggedOut out) {
      return fatal(0, out.code(), out.reason(), 0, who);
    }
    if (event instanceof UserEntity.SessionReplaced) {
      return fatal(0, ErrorCode.SESSION_REPLACED, "device " + who.device() + " connected again elsewhere", 0, who);
    }
    return Behaviors.same();
  }

  private Behavior<Object> fatal(long requestId, ErrorCode code, String reason, int retryAfterMs, Device who) {
    conn.closeAfter(Wire.fatal(requestId, code, reason, retryAfterMs));
    return closing(who);
  }

  /**
   * The session stops (channel gone, or a failure): it leaves the presence directory. The entity
   * is not told: it watches this actor, and a Disconnect would start an entity that was
   * passivated, only to forget this session.
   */
  private Behavior<Object> leave(Device who) {
    if (authTimer != null) authTimer.cancel();
    if (who != null) {
      deps.presence().unregister(who.user(), pushes);
      deps.revocations().gone(who.user(), pushes);
    }
    return Behaviors.same();
  }
}
