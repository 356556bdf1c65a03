package io.insync.gateway;

import com.google.protobuf.ByteString;
import io.insync.core.Ids;
import io.insync.core.auth.InvalidTokenException;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Heartbeat;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * One connection's session: authenticates the device, turns client frames into commands to the
 * user's entity, and entity pushes into Notify frames. Lives exactly as long as its channel.
 *
 * <p>Errors: a frame the server cannot use gets an {@code Error} with the same request id; only
 * auth failures, timeouts and replaced sessions are fatal (the channel closes after the Error).
 */
public final class Session extends AbstractBehavior<Session.Msg> {

  /** What a session handles. */
  public interface Msg {}

  /** A decoded frame from the client. */
  public record FrameIn(Envelope envelope) implements Msg {}

  /** The channel is gone. */
  public enum Closed implements Msg { INSTANCE }

  private enum AuthTimedOut implements Msg { INSTANCE }

  private record Authenticated(long requestId, String user, String device, UserEntity.Connected connected,
      Throwable failure) implements Msg {}

  private record FromEntity(UserEntity.DeviceEvent event) implements Msg {}

  private record SendDone(long requestId, String clientMsgId, UserEntity.SendResult result, Throwable failure)
      implements Msg {}

  private record SyncDone(long requestId, UserEntity.SyncResult result, Throwable failure) implements Msg {}

  private record HeartbeatDone(long requestId, UserEntity.Connected result, Throwable failure) implements Msg {}

  /** What every session of a gateway shares. */
  public record Deps(GatewaySettings settings, UserRefs users, TokenSigner tokens) {}

  public static Behavior<Msg> create(Channel channel, Deps deps) {
    return Behaviors.setup(ctx -> Behaviors.withStash(deps.settings().stashCapacity(),
        stash -> Behaviors.withTimers(timers -> {
          timers.startSingleTimer(AuthTimedOut.INSTANCE, deps.settings().authTimeout());
          return new Session(ctx, stash, channel, deps);
        })));
  }

  private final Channel channel;
  private final Deps deps;
  private final StashBuffer<Msg> stash;
  private final ActorRef<UserEntity.DeviceEvent> pushes;
  private String user;
  private String device;
  private boolean authPending;
  private boolean closing;
  private long startedAt;

  private Session(ActorContext<Msg> ctx, StashBuffer<Msg> stash, Channel channel, Deps deps) {
    super(ctx);
    this.channel = channel;
    this.deps = deps;
    this.stash = stash;
    this.pushes = ctx.messageAdapter(UserEntity.DeviceEvent.class, FromEntity::new);
  }

  @Override
  public Receive<Msg> createReceive() {
    return newReceiveBuilder()
        .onMessage(FrameIn.class, this::onFrame)
        .onMessage(Authenticated.class, this::onAuthenticated)
        .onMessage(FromEntity.class, this::onPush)
        .onMessage(SendDone.class, this::onSendDone)
        .onMessage(SyncDone.class, this::onSyncDone)
        .onMessage(HeartbeatDone.class, this::onHeartbeatDone)
        .onMessageEquals(AuthTimedOut.INSTANCE, () -> {
          if (user == null) fatal(0, ErrorCode.TIMEOUT, "not authenticated within " + deps.settings().authTimeout());
          return this;
        })
        .onMessageEquals(Closed.INSTANCE, this::onClosed)
        .build();
  }

  // ------------------------------------------------------------------ frames

  private Behavior<Msg> onFrame(FrameIn in) {
    Envelope env = in.envelope();
    if (closing) return this;
    if (authPending) {
      if (stash.isFull()) {
        write(Envelopes.error(env.getRequestId(), ErrorCode.UNAVAILABLE, "too many frames before AuthOk", 500, false));
      } else {
        stash.stash(in);
      }
      return this;
    }
    if (user == null) {
      if (env.getCommandCase() == Envelope.CommandCase.AUTH) return onAuth(env);
      if (env.getCommandCase() == Envelope.CommandCase.COMMAND_NOT_SET) {
        write(Envelopes.unsupported(env));
      } else {
        write(Envelopes.error(env.getRequestId(), ErrorCode.UNAUTHENTICATED, "send Auth first", 0, false));
      }
      return this;
    }
    switch (env.getCommandCase()) {
      case SEND -> onSend(env);
      case SYNC -> onSync(env);
      case ACK -> deps.users().user(user).tell(new UserEntity.AckKey(device, env.getAck().getSyncKey()));
      case HEARTBEAT -> onHeartbeat(env);
      case AUTH -> write(Envelopes.error(env.getRequestId(), ErrorCode.BAD_REQUEST, "already authenticated", 0, false));
      default -> write(Envelopes.unsupported(env));
    }
    return this;
  }

  private Behavior<Msg> onAuth(Envelope env) {
    TokenSigner.Claims claims;
    try {
      claims = deps.tokens().verify(env.getAuth().getToken(), Instant.now());
    } catch (InvalidTokenException e) {
      fatal(env.getRequestId(), ErrorCode.AUTH_FAILED, e.getMessage());
      return this;
    }
    authPending = true;
    long requestId = env.getRequestId();
    String u = claims.user();
    String d = claims.device();
    startedAt = System.currentTimeMillis();
    long started = startedAt;
    getContext().ask(UserEntity.Connected.class, deps.users().user(u), deps.settings().requestTimeout(),
        replyTo -> new UserEntity.Connect(d, pushes, started, replyTo),
        (ok, err) -> new Authenticated(requestId, u, d, ok, err));
    return this;
  }

  private Behavior<Msg> onAuthenticated(Authenticated a) {
    authPending = false;
    if (a.failure() != null) {
      // the user's entity did not answer: the client should come back (maybe to another node)
      write(Envelopes.error(a.requestId(), ErrorCode.UNAVAILABLE, "user service not available, retry", 1000, true))
          .addListener(ChannelFutureListener.CLOSE);
      closing = true;
      return this;
    }
    user = a.user();
    device = a.device();
    write(Envelope.newBuilder().setRequestId(a.requestId()).setAuthOk(AuthOk.newBuilder()
        .setUserId(user).setDeviceId(device)
        .setLatestSeq(a.connected().latestSeq())
        .setDeviceKey(a.connected().deviceKey())
        .setHeartbeatSeconds(deps.settings().heartbeatSeconds())).build());
    return stash.unstashAll(this);
  }

  private void onSend(Envelope env) {
    var send = env.getSend();
    long requestId = env.getRequestId();
    String problem = null;
    if (send.getClientMsgId().isEmpty()) problem = "client_msg_id is empty";
    else if (!Ids.isValidUserId(send.getTo())) problem = "recipient '" + send.getTo() + "' is not a valid user id";
    if (problem != null) {
      write(Envelopes.error(requestId, ErrorCode.BAD_REQUEST, problem, 0, false));
      return;
    }
    Content c = send.getContent();
    MessageContent content = new MessageContent(c.getText(), c.getData().toByteArray(), c.getType());
    String cmid = send.getClientMsgId();
    getContext().ask(UserEntity.SendResult.class, deps.users().user(user), deps.settings().requestTimeout(),
        replyTo -> new UserEntity.SendMessage(device, cmid, send.getTo(), content, replyTo),
        (res, err) -> new SendDone(requestId, cmid, res, err));
  }

  private Behavior<Msg> onSendDone(SendDone d) {
    if (d.failure() != null) {
      write(Envelopes.error(d.requestId(), ErrorCode.UNAVAILABLE,
          "message " + d.clientMsgId() + " not yet confirmed; retry with the same client_msg_id", 1000, false));
    } else if (d.result() instanceof UserEntity.SendAccepted ok) {
      write(Envelope.newBuilder().setRequestId(d.requestId()).setSendAck(SendAck.newBuilder()
          .setClientMsgId(ok.clientMsgId()).setSeq(ok.seq()).setServerTs(ok.serverTs())).build());
    } else if (d.result() instanceof UserEntity.SendRejected no) {
      write(Envelopes.error(d.requestId(), no.code(), no.reason(), no.retryAfterMs(), false));
    }
    return this;
  }

  private void onSync(Envelope env) {
    long requestId = env.getRequestId();
    var sync = env.getSync();
    getContext().ask(UserEntity.SyncResult.class, deps.users().user(user), deps.settings().requestTimeout(),
        replyTo -> new UserEntity.Sync(device, sync.getSyncKey(), sync.getMaxItems(), replyTo),
        (res, err) -> new SyncDone(requestId, res, err));
  }

  private Behavior<Msg> onSyncDone(SyncDone d) {
    if (d.failure() != null) {
      write(Envelopes.error(d.requestId(), ErrorCode.UNAVAILABLE, "sync timed out, retry", 1000, false));
    } else if (d.result() instanceof UserEntity.SyncOk ok) {
      SyncResult.Builder r = SyncResult.newBuilder().setSyncKey(ok.syncKey()).setHasMore(ok.hasMore());
      for (InboxItem i : ok.items()) r.addItems(item(i));
      write(Envelope.newBuilder().setRequestId(d.requestId()).setSyncResult(r).build());
    } else if (d.result() instanceof UserEntity.SyncFailed f) {
      write(Envelopes.error(d.requestId(), f.code(), f.reason(), f.retryAfterMs(), false));
    }
    return this;
  }

  private void onHeartbeat(Envelope env) {
    long requestId = env.getRequestId();
    // a heartbeat also renews this session's registration (the entity may have restarted)
    getContext().ask(UserEntity.Connected.class, deps.users().user(user), deps.settings().requestTimeout(),
        replyTo -> new UserEntity.Connect(device, pushes, startedAt, replyTo),
        (ok, err) -> new HeartbeatDone(requestId, ok, err));
  }

  private Behavior<Msg> onHeartbeatDone(HeartbeatDone d) {
    if (d.failure() != null) {
      write(Envelopes.error(d.requestId(), ErrorCode.UNAVAILABLE, "heartbeat not answered, retry", 1000, false));
    } else {
      write(Envelope.newBuilder().setRequestId(d.requestId())
          .setHeartbeat(Heartbeat.newBuilder().setLatestSeq(d.result().latestSeq())).build());
    }
    return this;
  }

  // ------------------------------------------------------------------ pushes

  private Behavior<Msg> onPush(FromEntity p) {
    if (p.event() instanceof UserEntity.NewItems n) {
      // a slow client does not get pushes piled up; it catches up with its next sync or heartbeat
      if (!channel.isWritable()) return this;
      Notify.Builder notify = Notify.newBuilder().setLatestSeq(n.latestSeq());
      for (InboxItem i : n.inline()) notify.addItems(item(i));
      write(Envelope.newBuilder().setNotify(notify).build());
    } else if (p.event() instanceof UserEntity.SessionReplaced) {
      fatal(0, ErrorCode.SESSION_REPLACED, "device " + device + " connected again elsewhere");
    }
    return this;
  }

  private Behavior<Msg> onClosed() {
    if (user != null) deps.users().user(user).tell(new UserEntity.Disconnect(device, pushes));
    return Behaviors.stopped();
  }

  // ------------------------------------------------------------------ helpers

  static Item item(InboxItem i) {
    MessageContent mc = i.content();
    Content.Builder c = Content.newBuilder().setText(mc.text()).setType(mc.type());
    byte[] data = mc.data();
    if (data.length > 0) c.setData(ByteString.copyFrom(data));
    return Item.newBuilder()
        .setSeq(i.seq()).setFrom(i.from()).setTo(i.to()).setFromDevice(i.fromDevice())
        .setClientMsgId(i.clientMsgId()).setServerTs(i.serverTs()).setContent(c).build();
  }

  private io.netty.channel.ChannelFuture write(Envelope e) {
    return channel.writeAndFlush(e);
  }

  private void fatal(long requestId, ErrorCode code, String reason) {
    closing = true;
    write(Envelopes.error(requestId, code, reason, 0, true)).addListener(ChannelFutureListener.CLOSE);
  }
}
