package io.insync.persistence.user;

import io.insync.persistence.ClusterMessage;
import io.insync.persistence.metrics.InsyncMetrics;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.ItemKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One user: owns the user's inbox (a gapless sequence of items), dedups the user's sends,
 * delivers them at-least-once to their recipients, and pushes "new items" to the user's online
 * devices. See docs/architecture-notes in ARCHITECTURE.md, "The data path of one message".
 *
 * <p>Delivery: a sent message is first an item in the sender's own inbox ({@link MessageSent});
 * the sender's entity then delivers it to the recipient's entity ({@link Deliver}), which appends
 * it ({@link MessageReceived}) and confirms. Messages to one recipient go in send order, one
 * batch in flight at a time, so the recipient dedups with a per-sender high-water mark. The
 * sender's {@link SendAccepted} is only given once the recipient has confirmed: an ack means
 * the message is durable in the recipient's inbox.
 *
 * <p>The sender-side bookkeeping lives in {@link Outbox}, the state logic in {@link UserState}
 * and page cutting in {@link SyncPages}; this class is the protocol and the wiring.
 *
 * <p>Failures: a failed journal write or recovery restarts the entity after a backoff. The
 * restart starts from a clean state: the empty state is an unchangeable template (see
 * {@link UserState#empty}), runtime bookkeeping is replaced by a new Outbox when recovery
 * completes, and replies to attempts of an earlier incarnation carry attempt ids the new one does
 * not know, so they are ignored.
 */
public final class UserEntity
    extends EventSourcedBehaviorWithEnforcedReplies<UserEntity.Command, UserEntity.Event, UserState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "User");

  /** The journal's persistence id of a user: {@code User|<userId>}. */
  public static PersistenceId persistenceId(String userId) {
    return PersistenceId.of(ENTITY_KEY.name(), userId);
  }

  // ===================================================================== protocol

  /** Everything a user entity accepts. */
  public interface Command extends ClusterMessage {}

  /**
   * A device of this user sends a message. Answered once the recipient has it durably.
   *
   * @param after the client_msg_id of the device's previous send, stored before this one may be
   *     ("" none): if it is not stored, the answer is {@code SendRejected(OUT_OF_ORDER)} and nothing
   *     is written, so a device's messages keep its order when pipelined sends are retried
   */
  public record SendMessage(String device, String clientMsgId, String to, MessageContent content, String after,
      ActorRef<SendResult> replyTo) implements Command {
    public SendMessage {
      after = after == null ? "" : after;
    }

    /** A send that waits for no earlier one. */
    public SendMessage(String device, String clientMsgId, String to, MessageContent content,
        ActorRef<SendResult> replyTo) {
      this(device, clientMsgId, to, content, "", replyTo);
    }
  }

  public sealed interface SendResult extends ClusterMessage permits SendAccepted, SendRejected {}

  /** @param seq the message's seq in the sender's inbox */
  public record SendAccepted(String clientMsgId, long seq, long serverTs) implements SendResult {}

  /** @param code BAD_REQUEST, UNAVAILABLE, RATE_LIMITED or OUT_OF_ORDER; retryAfterMs > 0 when a retry may succeed */
  public record SendRejected(String clientMsgId, ErrorCode code, String reason, int retryAfterMs)
      implements SendResult {}

  /**
   * Entity to entity: append these messages of {@code from}, in order. A group's fan-out sends it
   * with {@code group} set ({@code from} is then the group id, each item names its own sender and
   * its seq in the group's log): the member dedups by the group's seq.
   */
  public record Deliver(String from, List<Delivery> items, ActorRef<DeliveryReceipt> replyTo, String group)
      implements Command {
    public Deliver {
      items = List.copyOf(items);
      group = group == null ? "" : group;
    }

    public Deliver(String from, List<Delivery> items, ActorRef<DeliveryReceipt> replyTo) {
      this(from, items, replyTo, "");
    }

    /** Whose sequence the items' senderSeq counts in. */
    public String dedupKey() {
      return group.isEmpty() ? from : GroupTag.dedupKey(group);
    }
  }

  /**
   * @param from the acting user of a group item ("" on 1:1 deliveries: the Deliver's from)
   * @param group what a group item is (null on 1:1 deliveries)
   */
  public record Delivery(long senderSeq, String fromDevice, String clientMsgId, MessageContent content,
      long serverTs, String from, GroupTag group) implements ClusterMessage {
    public Delivery {
      from = from == null ? "" : from;
    }

    public Delivery(long senderSeq, String fromDevice, String clientMsgId, MessageContent content, long serverTs) {
      this(senderSeq, fromDevice, clientMsgId, content, serverTs, "", null);
    }
  }

  /** Every message of the sender up to {@code upToSenderSeq} is durable in {@code recipient}'s inbox. */
  public record DeliveryReceipt(String recipient, long upToSenderSeq) implements ClusterMessage {}

  /**
   * Items after {@code afterKey}, at most {@code maxItems} (0: the default page); with a
   * {@code filter}, only the matching ones (a view: see {@link SyncFilter}).
   */
  public record Sync(String device, long afterKey, int maxItems, ActorRef<SyncResult> replyTo, SyncFilter filter)
      implements Command {
    public Sync(String device, long afterKey, int maxItems, ActorRef<SyncResult> replyTo) {
      this(device, afterKey, maxItems, replyTo, null);
    }
  }

  /**
   * Which items a filtered Sync wants: of one conversation (a peer's id, or {@code "#" + group}; ""
   * any) and/or of one kind (null any). The answer's key is the last seq looked at.
   */
  public record SyncFilter(String conversation, ItemKind kind) {
    public SyncFilter {
      conversation = conversation == null ? "" : conversation;
    }

    public boolean matches(String self, InboxItem i) {
      return (conversation.isEmpty() || conversation.equals(i.conversation(self))) && (kind == null || kind == kindOf(i));
    }
  }

  /** An item's kind, as the protocol names it. */
  public static ItemKind kindOf(InboxItem i) {
    if (i.receipt() != null) {
      return switch (i.receipt().kind()) {
        case DELIVERED -> ItemKind.DELIVERY_RECEIPT;
        case READ -> ItemKind.READ_RECEIPT;
        case GROUP -> ItemKind.GROUP_RECEIPT;
      };
    }
    return i.group() != null && i.group().action() != GroupTag.Action.MESSAGE ? ItemKind.GROUP_EVENT : ItemKind.MESSAGE;
  }

  public sealed interface SyncResult extends ClusterMessage permits SyncOk, SyncFailed {}

  public record SyncOk(List<InboxItem> items, long syncKey, boolean hasMore, long latestSeq)
      implements SyncResult {
    public SyncOk {
      items = List.copyOf(items);
    }
  }

  /** @param code BAD_REQUEST, UNAVAILABLE or INTERNAL; retryAfterMs > 0 when a retry may succeed */
  public record SyncFailed(ErrorCode code, String reason, int retryAfterMs) implements SyncResult {}

  /** The device has everything up to {@code key}. No reply. */
  public record AckKey(String device, long key) implements Command {}

  /**
   * A device's session is online (sent once, on auth; heartbeats are answered by the session
   * itself): it will get {@link NewItems}. A newer session of the same device replaces the older
   * one; "newer" is decided by {@code sessionStartedAt} (epoch millis at which the gateway accepted
   * the session's Auth), so a delayed Connect of a dead session can never evict a newer one. An
   * entity that starts while sessions are connected learns them from the nodes' presence
   * directories instead ({@link SessionsFound}, see {@link PresenceProtocol}).
   */
  public record Connect(String device, ActorRef<DeviceEvent> session, long sessionStartedAt,
      ActorRef<Connected> replyTo, String platform)
      implements Command {
    public Connect {
      platform = platform == null ? "" : platform;
    }

    public Connect(String device, ActorRef<DeviceEvent> session, long sessionStartedAt, ActorRef<Connected> replyTo) {
      this(device, session, sessionStartedAt, replyTo, "");
    }
  }

  /**
   * @param refused null when the session is registered; else why not (AUTH_FAILED: the device was
   *     removed; LIMIT_EXCEEDED: too many devices), with {@code reason}
   */
  public record Connected(long latestSeq, long deviceKey, ErrorCode refused, String reason) implements ClusterMessage {
    public Connected(long latestSeq, long deviceKey) {
      this(latestSeq, deviceKey, null, "");
    }
  }

  /** A device of this user read a conversation up to {@code upTo} (a seq of this inbox). Answered with {@link Done}. */
  public record MarkRead(String device, String conversation, long upTo, ActorRef<Done> replyTo) implements Command {}

  /** The user's registered devices. */
  public record ListDevices(String device, ActorRef<DeviceList> replyTo) implements Command {}

  public record DeviceList(List<DeviceInfo> devices) implements ClusterMessage {
    public DeviceList {
      devices = List.copyOf(devices);
    }
  }

  public record DeviceInfo(String device, String platform, long syncKey, boolean online, long registeredAt)
      implements ClusterMessage {}

  /** Device {@code by} removes device {@code device}: its session is closed, its token refused from then on. */
  public record RemoveDevice(String by, String device, ActorRef<Done> replyTo) implements Command {}

  public record SetPrefs(boolean readReceiptsOff, ActorRef<Done> replyTo) implements Command {}

  /** The answer of MarkRead, RemoveDevice, SetPrefs: done ({@code code} null) or refused. */
  public record Done(ErrorCode code, String reason) implements ClusterMessage {
    public static final Done OK = new Done(null, "");
  }

  /**
   * Entity to entity, no reply: {@code from} (a peer) got (DELIVERED) or read (READ) this user's
   * messages to it up to {@code upTo}, a seq of this user's inbox. Logged as a receipt item if it
   * moves what this inbox already says.
   */
  public record PeerReceipt(String from, Receipt.Kind kind, long upTo) implements Command {}

  /** From a group, no reply: counts for this user's recent messages in it, logged as one receipt item. */
  public record GroupReceiptCounts(String group, List<Receipt.Count> counts) implements Command {
    public GroupReceiptCounts {
      counts = List.copyOf(counts);
    }
  }

  /**
   * The session is closing. Sessions no longer send it (a closing connection must not start a
   * passivated entity; the entity watches its sessions anyway); still served for older gateways.
   */
  public record Disconnect(String device, ActorRef<DeviceEvent> session) implements Command {}

  /**
   * A node's presence directory answers a {@link PresenceProtocol.Lookup}: these sessions of
   * {@code user} are connected there. Each is registered as if it had sent {@link Connect} and
   * gets a {@link NewItems} with the latest seq at once (an item persisted while the lookup was in
   * flight reaches it that way).
   */
  public record SessionsFound(String user, List<PresenceProtocol.PresentSession> sessions) implements Command {
    public SessionsFound {
      sessions = List.copyOf(sessions);
    }
  }

  /** Pushed to sessions. */
  public interface DeviceEvent extends ClusterMessage {}

  /** The inbox has items up to {@code latestSeq}; {@code inline} holds the newest ones if small. */
  public record NewItems(String user, long latestSeq, List<InboxItem> inline) implements DeviceEvent {
    public NewItems {
      inline = List.copyOf(inline);
    }
  }

  /** Another session of the same device took over. */
  public record SessionReplaced(String user, String device) implements DeviceEvent {}

  /**
   * The session must end: the login policy logged the device out ({@code LOGGED_IN_ELSEWHERE}) or the
   * device was removed ({@code AUTH_FAILED}).
   */
  public record LoggedOut(String user, String device, ErrorCode code, String reason) implements DeviceEvent {}

  /**
   * Sent by an entity to itself <em>through sharding</em> while a delivery keeps failing: it
   * counts as activity (so the entity is not passivated with deliveries pending), and if the
   * entity was stopped or moved meanwhile, it starts it again, and recovery resumes delivery.
   */
  public record KeepAlive(String reason) implements Command {}

  /** For operators and tests. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  public record Status(String user, long lastSeq, int pendingDeliveries, List<String> onlineDevices)
      implements ClusterMessage {
    public Status {
      onlineDevices = List.copyOf(onlineDevices);
    }
  }

  /**
   * For the management routes ({@code GET /insync/users/{id}}): what an operator asks about one user, answered
   * by the entity itself, so {@code node} is where it really runs (not a guess from the shard allocation).
   * Asking starts the entity if it was not running, as any message does; {@code startedAt} tells.
   */
  public record Inspect(ActorRef<Inspection> replyTo) implements Command {}

  /**
   * @param node              the address of the node the entity runs on ({@code pekko://insync@host:port})
   * @param lastSeq           the inbox head: the newest sequence number in the user's inbox
   * @param pendingDeliveries messages this user sent that a recipient's entity has not confirmed yet
   * @param devices           the registered devices (not removed), each with its acked sync key and whether a
   *                          session of it is connected now
   * @param startedAt         when this incarnation of the entity started (epoch ms): recent if it was started by
   *                          the question
   */
  public record Inspection(String user, String node, long lastSeq, int pendingDeliveries, List<DeviceInfo> devices,
      long startedAt) implements ClusterMessage {
    public Inspection {
      devices = List.copyOf(devices);
    }
  }

  /**
   * Asks the entity to passivate (stop; its state is in the journal and the next message starts it again,
   * here or elsewhere). It asks its shard, so messages that arrive meanwhile are buffered, not lost, and
   * answers first. Device acks and delivery confirmations not yet written (bookkeeping) are written first.
   * Deliveries still pending are resumed by the delivery keeper, as after any passivation.
   * Outside sharding (unit tests) it is refused.
   */
  public record Passivate(ActorRef<Passivating> replyTo) implements Command {}

  /** @param accepted false only outside sharding ({@code reason} says why) */
  public record Passivating(String user, String node, boolean accepted, String reason) implements ClusterMessage {}

  // internal, never leave this actor (so never serialized, even with serialize-messages on)
  private interface Internal extends Command, NoSerializationVerificationNeeded {}

  private record DeliveryConfirmed(String to, long attemptId, long upTo) implements Internal {}

  private record DeliveryFailed(String to, long attemptId, String why) implements Internal {}

  private record RetryDelivery(String to) implements Internal {}

  /** keeper-after passed since a delivery went out: if any is still unconfirmed, start the keeper. */
  private enum ArmKeeper implements Internal { INSTANCE }

  /** Routes to entities changed (a node was removed): deliveries in flight may have been lost. */
  private enum Rerouted implements Internal { INSTANCE }

  private enum FlushBookkeeping implements Internal { INSTANCE }

  private record SessionGone(String device, ActorRef<DeviceEvent> session) implements Internal {}

  /** The write that held sends and deliveries back completed: take them (see {@link WriteBatcher}). */
  private enum ReleaseHeld implements Internal { INSTANCE }

  // ===================================================================== events

  /** Stored; serialized with protobuf by UserEventSerializer. */
  public interface Event {}

  public record MessageSent(long seq, String to, String device, String clientMsgId,
      MessageContent content, long serverTs, Bookkeeping bookkeeping) implements Event {}

  /**
   * @param group set when the item came from a group's fan-out: {@code from} is the member who
   *     acted, {@code senderSeq} the entry's seq in the group, and the group (not {@code from}) dedups
   */
  public record MessageReceived(long seq, String from, String fromDevice, String clientMsgId,
      long senderSeq, MessageContent content, long serverTs, Bookkeeping bookkeeping, GroupTag group)
      implements Event {
    public MessageReceived(long seq, String from, String fromDevice, String clientMsgId,
        long senderSeq, MessageContent content, long serverTs, Bookkeeping bookkeeping) {
      this(seq, from, fromDevice, clientMsgId, senderSeq, content, serverTs, bookkeeping, null);
    }

    /** Whose sequence {@code senderSeq} counts in: the sender's, or the group's. */
    public String dedupKey() {
      return group == null ? from : GroupTag.dedupKey(group.group());
    }
  }

  public record BookkeepingFlushed(Bookkeeping bookkeeping) implements Event {}

  /** A receipt item at {@code seq} ({@code from}: the peer, "" on group receipts). */
  public record ReceiptLogged(long seq, String from, Receipt receipt, long serverTs, Bookkeeping bookkeeping)
      implements Event {
    /** The same receipt at another seq. */
    public ReceiptLogged withSeq(long at) {
      return new ReceiptLogged(at, from, receipt, serverTs, bookkeeping);
    }
  }

  public record DeviceRegistered(String device, String platform, long at) implements Event {}

  public record DeviceRemoved(String device, long at) implements Event {}

  /** @param conversation a peer's id, or "#" + a group's id */
  public record ReadMarked(String conversation, long upTo) implements Event {}

  public record PrefsChanged(boolean readReceiptsOff) implements Event {}

  /** Confirmed deliveries and acked device keys, riding on an event. */
  public record Bookkeeping(List<DeliveryRef> delivered, Map<String, Long> deviceKeys) {
    public static final Bookkeeping EMPTY = new Bookkeeping(List.of(), Map.of());

    public Bookkeeping {
      delivered = List.copyOf(delivered);
      deviceKeys = Map.copyOf(deviceKeys);
    }

    public boolean isEmpty() {
      return delivered.isEmpty() && deviceKeys.isEmpty();
    }
  }

  public record DeliveryRef(String to, long seq) {}

  // ===================================================================== wiring

  /**
   * What an entity needs from outside.
   *
   * @param keeper told (best effort, idempotent) when this user's deliveries may outlive this
   *     incarnation: on a delivery's first failure and when the entity stops with deliveries
   *     pending. The cluster module makes sure the user entity is started again until nothing is
   *     pending, wherever its shard moves (see cluster's DeliveryKeeper).
   */
  public record Deps(UserSettings settings, UserRefs refs, CurrentEventsByPersistenceIdQuery readJournal,
      PendingDeliveries keeper, PresenceProtocol.Directories presences) {
    public Deps(UserSettings settings, UserRefs refs, CurrentEventsByPersistenceIdQuery readJournal) {
      this(settings, refs, readJournal, PendingDeliveries.NONE, PresenceProtocol.Directories.NONE);
    }

    public Deps(UserSettings settings, UserRefs refs, CurrentEventsByPersistenceIdQuery readJournal,
        PendingDeliveries keeper) {
      this(settings, refs, readJournal, keeper, PresenceProtocol.Directories.NONE);
    }
  }

  /** Where an entity reports that it has deliveries that must resume without its user. */
  @FunctionalInterface
  public interface PendingDeliveries {
    PendingDeliveries NONE = userId -> {};

    void pending(String userId);
  }

  public static Behavior<Command> create(String userId, Deps deps) {
    return create(userId, deps, null);
  }

  /** @param shard the entity's shard, which {@link Passivate} asks to stop it; null outside sharding */
  public static Behavior<Command> create(String userId, Deps deps,
      ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> {
      WriteBatcher.Gate gate = new WriteBatcher.Gate();
      return Behaviors.intercept(() -> new WriteBatcher(gate),
          Behaviors.withTimers(timers -> new UserEntity(userId, ctx, timers, deps, gate, shard)));
    });
  }

  private final String userId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final UserSettings settings;
  private final UserRefs refs;
  private final CurrentEventsByPersistenceIdQuery readJournal;
  private final PendingDeliveries keeper;
  private final WriteBatcher.Gate gate;
  private final PresenceProtocol.Directories presences;
  private final ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard;
  /** When this incarnation started (epoch ms), for {@link Inspect}. */
  private final long startedAt = System.currentTimeMillis();

  // runtime only: rebuilt by activity after a restart, never persisted
  /** Attempt ids of deliveries: unique in the JVM, so no incarnation can take another's reply for its own. */
  private static final AtomicLong ATTEMPT_IDS = new AtomicLong();

  /** A registered session of a device, with the time its Auth was accepted (newer wins). */
  private record DeviceSession(ActorRef<DeviceEvent> ref, long startedAt) {}

  // runtime only: rebuilt by activity after a restart, never persisted
  private final Map<String, DeviceSession> sessions = new HashMap<>();
  private Outbox<ActorRef<SendResult>> outbox = new Outbox<>(ATTEMPT_IDS::incrementAndGet);
  private final Map<String, Long> acksUnwritten = new TreeMap<>();
  /** Delivery receipts went out for the messages up to this seq (from recovery: the highest stored device key). */
  private long deliveryScannedUpTo;

  private Throwable lastRecoveryFailure;
  /** Told the keeper after keeper-after since all was last delivered (it keeps going until nothing is pending). */
  private boolean keeperTold;
  /** This entity's share of the node's pending-deliveries gauge, as last reported. */
  private long reportedPending;
  /** Registered with {@link RouteChanges} from recovery until this entity stops (null: not registered). */
  private RouteChanges.Registration routeRegistration;

  private UserEntity(String userId, ActorContext<Command> ctx, TimerScheduler<Command> timers, Deps deps,
      WriteBatcher.Gate gate,
      ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
    super(persistenceId(userId),
        SupervisorStrategy.restartWithBackoff(deps.settings().restartMin(), deps.settings().restartMax(), 0.2));
    this.userId = userId;
    this.ctx = ctx;
    this.timers = timers;
    this.settings = deps.settings();
    this.refs = deps.refs();
    this.readJournal = deps.readJournal();
    this.keeper = deps.keeper();
    this.gate = gate;
    this.presences = deps.presences();
    this.shard = shard;
  }

  @Override
  public UserState emptyState() {
    // never changed: Pekko keeps this one object across restarts (see UserState#empty)
    return UserState.empty(userId, UserState.Limits.of(settings));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
  }

  @Override
  public SnapshotAdapter<UserState> snapshotAdapter() {
    UserState.Limits limits = UserState.Limits.of(settings);
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(UserState state) {
        return io.insync.persistence.serialization.StoreCodec.toSnapshot(state);
      }

      @Override
      public UserState fromJournal(Object from) {
        if (from instanceof io.insync.persistence.proto.UserSnapshot s) {
          return io.insync.persistence.serialization.StoreCodec.fromSnapshot(userId, limits, s);
        }
        if (from instanceof UserState s) {
          s.setLimits(limits);
          return s;
        }
        throw new IllegalStateException("unknown snapshot type " + from.getClass());
      }
    };
  }

  @Override
  public SignalHandler<UserState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          // a new incarnation (first start or a restart after a journal failure): fresh bookkeeping
          InsyncMetrics.recovered("user", "ok");
          outbox = new Outbox<>(ATTEMPT_IDS::incrementAndGet);
          acksUnwritten.clear();
          deliveryScannedUpTo = state.deviceKeys().values().stream().mapToLong(Long::longValue).max().orElse(0);
          keeperTold = false;
          timers.cancelAll();
          for (String to : state.recipientsWithPending()) deliver(state, to);
          reportPending(state);
          if (routeRegistration == null) {
            ActorRef<Command> self = ctx.getSelf();
            routeRegistration = refs.routeChanges().listen(() -> self.tell(Rerouted.INSTANCE));
          }
          // a write that failed (and restarted us) never completed: what it held back may go now
          gate.writing = false;
          releaseHeld();
          // which of this user's devices are connected (to any node)? The replies register them.
          PresenceProtocol.Lookup lookup = new PresenceProtocol.Lookup(userId, ctx.getSelf().narrow());
          var directories = presences.all();
          for (ActorRef<PresenceProtocol.Lookup> directory : directories) directory.tell(lookup);
          ctx.getLog().debug("user {} started (seq {}), asked {} presence directories", userId, state.lastSeq(),
              directories.size());
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, (state, signal) -> {
          ctx.getLog().debug("user {} stopped", userId);
          if (routeRegistration != null) routeRegistration.cancel();
          routeRegistration = null;
          // stopped (hand-off, passivation, node leaving) with deliveries pending: have them resumed
          if (state.pendingCount() > outbox.confirmedNotWritten()) keeper.pending(userId);
          InsyncMetrics.pending(reportedPending, 0);
          reportedPending = 0;
        })
        .onSignal(RecoveryFailed.class, (state, signal) -> {
          InsyncMetrics.recovered("user", "failed");
          // Pekko signals one failed recovery twice (the cause, then its wrapper): count it once
          if (ReplayFilterAlarms.isTwoWriters(signal.getFailure()) && !causedBy(signal.getFailure(), lastRecoveryFailure)) {
            lastRecoveryFailure = signal.getFailure();
            ReplayFilterAlarms.record();
            ctx.getLog().error("recovery of user {} failed: the journal holds events of two writers "
                + "(two live incarnations of this user wrote); the user is unavailable until an "
                + "operator repairs the journal: {}", userId, signal.getFailure().toString());
          }
        })
        .build();
  }

  @Override
  public EventHandler<UserState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((s, e) -> s.apply(e, lastSequenceNumber(ctx)));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, UserState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(SendMessage.class, (s, c) -> onBatch(s, List.of(c)))
        .onCommand(Deliver.class, (s, c) -> onBatch(s, List.of(c)))
        .onCommand(PeerReceipt.class, (s, c) -> onBatch(s, List.of(c)))
        .onCommand(GroupReceiptCounts.class, (s, c) -> onBatch(s, List.of(c)))
        .onCommand(MarkRead.class, this::onMarkRead)
        .onCommand(ListDevices.class, this::onListDevices)
        .onCommand(Inspect.class, this::onInspect)
        .onCommand(Passivate.class, this::onPassivate)
        .onCommand(RemoveDevice.class, this::onRemoveDevice)
        .onCommand(SetPrefs.class, this::onSetPrefs)
        .onCommand(ReleaseHeld.class, (s, c) ->
            onBatch(s, gate.take(settings.writeBatchMaxEvents(), settings.writeBatchMaxBytes())))
        .onCommand(DeliveryConfirmed.class, this::onDeliveryConfirmed)
        .onCommand(DeliveryFailed.class, this::onDeliveryFailed)
        .onCommand(KeepAlive.class, (s, c) -> Effect().noReply())
        .onCommand(RetryDelivery.class, (s, c) -> {
          deliver(s, c.to());
          return Effect().noReply();
        })
        .onCommand(Rerouted.class, (s, c) -> onRerouted(s))
        .onCommand(ArmKeeper.class, (s, c) -> {
          // told once per stretch of undelivered messages (the keeper is idempotent, and remembered)
          if (!keeperTold && s.pendingCount() > outbox.confirmedNotWritten()) {
            keeperTold = true;
            keeper.pending(userId);
          }
          return Effect().noReply();
        })
        .onCommand(Sync.class, this::onSync)
        .onCommand(AckKey.class, this::onAck)
        .onCommand(Connect.class, this::onConnect)
        .onCommand(SessionsFound.class, this::onSessionsFound)
        .onCommand(Disconnect.class, (s, c) -> {
          DeviceSession current = sessions.get(c.device());
          if (current != null && current.ref().equals(c.session())) {
            sessions.remove(c.device());
            ctx.unwatch(c.session());
          }
          return Effect().noReply();
        })
        .onCommand(SessionGone.class, (s, c) -> {
          DeviceSession current = sessions.get(c.device());
          if (current != null && current.ref().equals(c.session())) sessions.remove(c.device());
          return Effect().noReply();
        })
        .onCommand(FlushBookkeeping.class, this::onFlush)
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(),
            new Status(userId, s.lastSeq(), s.pendingCount() - outbox.confirmedNotWritten(),
                List.copyOf(new java.util.TreeSet<>(sessions.keySet())))))
        .build();
  }

  private static boolean causedBy(Throwable t, Throwable cause) {
    for (Throwable c = t; c != null && cause != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c == cause) return true;
    }
    return false;
  }

  // ===================================================================== send

  /**
   * Sends and deliveries, in arrival order, written as one atomic write: one command when it
   * arrives with no write in flight, or everything {@link WriteBatcher} held back during the
   * last write. Answers that need no write go at once; the others once the write is done.
   */
  private ReplyEffect<Event, UserState> onBatch(UserState state, List<Command> commands) {
    Batch b = new Batch(state.lastSeq() + 1);
    for (Command c : commands) {
      if (c instanceof SendMessage send) stageSend(state, b, send);
      else if (c instanceof Deliver deliver) stageDeliver(state, b, deliver);
      else if (c instanceof PeerReceipt r) stageReceipt(state, b, r);
      else if (c instanceof GroupReceiptCounts g) stageGroupReceipt(b, g);
    }
    if (b.events.isEmpty()) {
      b.receipts.forEach(Runnable::run); // repeats only: nothing new to write
      releaseHeld();
      return Effect().noReply();
    }
    gate.writing = true;
    return Effect().persist(b.events)
        .thenRun(s -> {
          gate.writing = false;
          notifyDevices(s, b.events.size());
          b.afterWrite.forEach(a -> a.accept(s));
          b.deliverTo.forEach(to -> deliver(s, to));
          b.receipts.forEach(Runnable::run);
          releaseHeld();
          reportPending(s);
        })
        .thenNoReply();
  }

  /** What one batch writes, what it owes once written, and what it has staged so far. */
  private static final class Batch {
    final List<Event> events = new ArrayList<>();
    final List<java.util.function.Consumer<UserState>> afterWrite = new ArrayList<>();
    final java.util.Set<String> deliverTo = new java.util.LinkedHashSet<>();
    final List<Runnable> receipts = new ArrayList<>();
    /** Sends staged in this batch by outbound key: a second copy of one waits for the first. */
    final Map<String, MessageSent> sends = new HashMap<>();
    final Map<String, Long> highWater = new HashMap<>();
    /** 1:1 receipts staged in this batch by peer and kind: the index of their event (a later one raises it). */
    final Map<String, Integer> receiptAt = new HashMap<>();
    final Map<String, Integer> pendingPerRecipient = new HashMap<>();
    int pending;
    long pendingBytes;
    long nextSeq;

    Batch(long nextSeq) {
      this.nextSeq = nextSeq;
    }
  }

  private Bookkeeping bookkeepingFor(Batch b) {
    return b.events.isEmpty() ? takeBookkeeping() : Bookkeeping.EMPTY; // rides on the first event
  }

  private void stageSend(UserState state, Batch b, SendMessage cmd) {
    if (isRemoved(state, cmd.device())) {
      cmd.replyTo().tell(new SendRejected(cmd.clientMsgId(), ErrorCode.AUTH_FAILED, removedReason(cmd.device()), 0));
      return;
    }
    String problem = validate(cmd);
    if (problem != null) {
      cmd.replyTo().tell(new SendRejected(cmd.clientMsgId(), ErrorCode.BAD_REQUEST, problem, 0));
      return;
    }
    String key = UserState.outboundKey(cmd.device(), cmd.clientMsgId());
    MessageSent first = b.sends.get(key);
    if (first != null) {
      // a retry that caught up with its first attempt in this batch: the first one's answer
      InsyncMetrics.dedupHit();
      b.afterWrite.add(s -> ackWhenDelivered(s, first.to(), first.seq(), first.clientMsgId(), first.serverTs(),
          cmd.replyTo()));
      return;
    }
    var before = state.sentBefore(cmd.device(), cmd.clientMsgId());
    if (before.isPresent()) {
      InsyncMetrics.dedupHit();
      ackWhenDelivered(state, cmd.to(), before.get().seq(), cmd.clientMsgId(), before.get().serverTs(), cmd.replyTo());
      return;
    }
    if (!cmd.after().isEmpty() && !b.sends.containsKey(UserState.outboundKey(cmd.device(), cmd.after()))
        && state.sentBefore(cmd.device(), cmd.after()).isEmpty()) {
      // the device's previous message is not stored (lost on the way, or being retried): storing
      // this one now would put it first in both inboxes
      ctx.getLog().debug("user {}: {} from {} waits for {} (not stored yet)", userId, cmd.clientMsgId(), cmd.device(),
          cmd.after());
      refuseOutOfOrder(cmd);
      return;
    }
    String overload = overPendingBounds(state, b, cmd);
    if (overload != null) {
      cmd.replyTo().tell(new SendRejected(cmd.clientMsgId(), ErrorCode.RATE_LIMITED, overload,
          (int) Math.max(1, settings.rateLimitedRetryAfter().toMillis())));
      return;
    }
    long seq = b.nextSeq++;
    long now = System.currentTimeMillis();
    MessageSent event = new MessageSent(seq, cmd.to(), cmd.device(), cmd.clientMsgId(), cmd.content(),
        now, bookkeepingFor(b));
    b.events.add(event);
    b.sends.put(key, event);
    if (cmd.to().equals(userId)) {
      b.afterWrite.add(s -> cmd.replyTo().tell(new SendAccepted(cmd.clientMsgId(), seq, now)));
      return;
    }
    b.pendingPerRecipient.merge(cmd.to(), 1, Integer::sum);
    b.pending++;
    b.pendingBytes += itemBytes(cmd);
    b.afterWrite.add(s -> outbox.addWaiter(seq, cmd.replyTo()));
    b.deliverTo.add(cmd.to());
  }

  private void refuseOutOfOrder(SendMessage cmd) {
    cmd.replyTo().tell(new SendRejected(cmd.clientMsgId(), ErrorCode.OUT_OF_ORDER, "message " + cmd.after()
        + " sent before it is not stored yet; retry after it, or without after_client_msg_id if it was given up",
        (int) Math.max(1, settings.outOfOrderRetryAfter().toMillis())));
  }

  /**
   * A send already in the inbox: acked now if it reached its recipient (or is a note to self),
   * else once its delivery is confirmed (a retry of a half-done send finishes it).
   */
  private void ackWhenDelivered(UserState state, String to, long seq, String clientMsgId, long serverTs,
      ActorRef<SendResult> replyTo) {
    if (!to.equals(userId) && stillPending(state, to, seq)) {
      outbox.addWaiter(seq, replyTo);
      deliver(state, to);
      return;
    }
    replyTo.tell(new SendAccepted(clientMsgId, seq, serverTs));
  }

  private String validate(SendMessage cmd) {
    if (cmd.clientMsgId() == null || cmd.clientMsgId().isEmpty()) return "client_msg_id is empty";
    if (cmd.clientMsgId().length() > 128) return "client_msg_id is longer than 128 characters";
    if (cmd.to() == null || cmd.to().isEmpty()) return "recipient is empty";
    if (cmd.content() == null) return "content is missing";
    if (cmd.content().sizeBytes() > settings.maxContentBytes()) {
      return "content is larger than " + settings.maxContentBytes() + " bytes";
    }
    return null;
  }

  /** Why this new send would pass a bound of pending deliveries (with the batch's), or null if it fits. */
  private String overPendingBounds(UserState state, Batch b, SendMessage cmd) {
    if (cmd.to().equals(userId)) return null; // a note to self is never pending
    if (state.pendingCountFor(cmd.to()) + b.pendingPerRecipient.getOrDefault(cmd.to(), 0)
        >= settings.maxPendingPerRecipient()) {
      return "too many messages pending to " + cmd.to();
    }
    if (state.pendingCount() + b.pending >= settings.maxPendingTotal()) return "too many messages pending";
    if (state.pendingBytes() + b.pendingBytes + itemBytes(cmd) > settings.maxPendingBytes()) {
      return "too many bytes pending";
    }
    return null;
  }

  private long itemBytes(SendMessage cmd) {
    return new InboxItem(0, userId, cmd.to(), cmd.device(), cmd.clientMsgId(), 0, cmd.content(), 0).estimatedBytes();
  }

  private boolean stillPending(UserState state, String to, long seq) {
    return state.isPending(to, seq) && !outbox.isConfirmed(to, seq);
  }

  // ===================================================================== delivery (sender side)

  /** Sends the oldest undelivered batch to {@code to}, unless one is already on its way. */
  private void deliver(UserState state, String to) {
    Outbox.Batch batch = outbox.nextBatch(to, state.pendingFor(to), settings.deliveryBatchMax(),
        settings.deliveryBatchMaxBytes());
    if (batch == null) return;
    timers.cancel(retryKey(to));
    List<Delivery> items = batch.items().stream()
        .map(i -> new Delivery(i.seq(), i.fromDevice(), i.clientMsgId(), i.content(), i.serverTs()))
        .toList();
    long attempt = batch.attemptId();
    if (!keeperTold && !timers.isTimerActive(ArmKeeper.INSTANCE)) {
      timers.startSingleTimer(ArmKeeper.INSTANCE, ArmKeeper.INSTANCE, settings.keeperAfter());
    }
    ctx.ask(DeliveryReceipt.class, refs.user(to), settings.deliveryTimeout(),
        replyTo -> new Deliver(userId, items, replyTo),
        (receipt, failure) -> receipt != null
            ? new DeliveryConfirmed(to, attempt, receipt.upToSenderSeq())
            : new DeliveryFailed(to, attempt, String.valueOf(failure)));
  }

  private static String retryKey(String to) {
    return "retry-" + to;
  }

  private ReplyEffect<Event, UserState> onDeliveryConfirmed(UserState state, DeliveryConfirmed c) {
    var confirmed = outbox.confirm(c.to(), c.attemptId(), c.upTo(), state.pendingFor(c.to()));
    if (confirmed == null) return Effect().noReply(); // a stale reply (earlier attempt or incarnation)
    for (Outbox.Confirmed<ActorRef<SendResult>> done : confirmed) {
      InboxItem i = done.item();
      SendAccepted ack = new SendAccepted(i.clientMsgId(), i.seq(), i.serverTs());
      done.waiters().forEach(r -> r.tell(ack));
    }
    scheduleFlush();
    // nothing left undelivered: the next delivery that lingers tells the keeper again (it stops
    // by itself once nothing is pending)
    if (state.pendingCount() <= outbox.confirmedNotWritten()) keeperTold = false;
    deliver(state, c.to());
    reportPending(state);
    return Effect().noReply();
  }

  private ReplyEffect<Event, UserState> onDeliveryFailed(UserState state, DeliveryFailed c) {
    int n = outbox.fail(c.to(), c.attemptId());
    if (n == 0) return Effect().noReply(); // a stale reply (earlier attempt or incarnation)
    Duration delay = settings.retryDelay(n);
    if (n == 1) keeper.pending(userId); // from now on, resumed even if this user never comes back
    if (n == 1 || n % 10 == 0) {
      ctx.getLog().warn("delivery from {} to {} failed (attempt {}), retrying in {}: {}",
          userId, c.to(), n, delay, c.why());
    }
    timers.startSingleTimer(retryKey(c.to()), new RetryDelivery(c.to()), delay);
    refs.user(userId).tell(new KeepAlive("delivery to " + c.to() + " pending"));
    return Effect().noReply();
  }

  /**
   * A node left the cluster: a delivery in flight may have gone to its shards and been lost, and
   * one waiting for its retry timer would wait out a backoff grown while the node was unreachable.
   * Each is sent again now (the recipient dedups a copy that was not lost).
   */
  private ReplyEffect<Event, UserState> onRerouted(UserState state) {
    int resent = 0;
    for (String to : state.recipientsWithPending()) {
      boolean waiting = outbox.abandon(to) | outbox.failures(to) > 0; // in flight, or waiting for a retry
      if (!waiting) continue;
      deliver(state, to); // the same items again (nothing if all are confirmed), the retry timer cancelled
      resent++;
    }
    if (resent > 0) ctx.getLog().debug("user {}: routes changed, {} deliveries sent again", userId, resent);
    return Effect().noReply();
  }

  // ===================================================================== receipts

  /**
   * A peer's delivery or read receipt: logged as an item if it moves what this inbox says about the
   * peer (a receipt never goes back), one item per peer and kind in a batch.
   */
  private void stageReceipt(UserState state, Batch b, PeerReceipt r) {
    if (r.from() == null || r.from().isEmpty() || r.from().equals(userId) || r.kind() == Receipt.Kind.GROUP) return;
    long upTo = Math.min(r.upTo(), state.lastSeq());
    UserState.ReceiptMark mark = state.receiptsFrom(r.from());
    long known = r.kind() == Receipt.Kind.READ ? mark.read() : mark.delivered();
    String key = r.kind() + "|" + r.from();
    Integer at = b.receiptAt.get(key);
    if (at != null) {
      ReceiptLogged staged = (ReceiptLogged) b.events.get(at);
      if (upTo <= staged.receipt().upTo()) return;
      b.events.set(at, new ReceiptLogged(staged.seq(), staged.from(), Receipt.of(r.kind(), upTo), staged.serverTs(),
          staged.bookkeeping()));
      return;
    }
    if (upTo <= known) return;
    b.receiptAt.put(key, b.events.size());
    b.events.add(new ReceiptLogged(b.nextSeq++, r.from(), Receipt.of(r.kind(), upTo), System.currentTimeMillis(),
        bookkeepingFor(b)));
  }

  /** A group's aggregated counts for this user's messages in it: one item (the group sends only changes). */
  private void stageGroupReceipt(Batch b, GroupReceiptCounts g) {
    if (g.counts().isEmpty() || g.group() == null || g.group().isEmpty()) return;
    b.events.add(new ReceiptLogged(b.nextSeq++, "", Receipt.group(g.group(), g.counts()), System.currentTimeMillis(),
        bookkeepingFor(b)));
  }

  /**
   * A device acked up to {@code key}: the messages of other users it now has (past what earlier
   * acks covered) are receipted to their senders, 1:1 ones to the sender's entity, group ones to
   * the group (which aggregates them). Items that left the in-memory tail are not receipted.
   */
  private void sendDeliveryReceipts(UserState state, long key) {
    long from = deliveryScannedUpTo;
    deliveryScannedUpTo = Math.max(deliveryScannedUpTo, key);
    if (!settings.deliveryReceipts() || key <= from) return;
    Map<String, Long> peers = new HashMap<>();
    Map<String, Long> groups = new HashMap<>();
    collectMessages(state, from, key, peers, groups);
    peers.forEach((peer, upTo) -> refs.user(peer).tell(new PeerReceipt(userId, Receipt.Kind.DELIVERED, upTo)));
    groups.forEach((group, upTo) -> tellGroup(group,
        new io.insync.persistence.group.GroupEntity.MemberReceipt(userId, Receipt.Kind.DELIVERED, upTo)));
  }

  /** Messages from others in (after, upTo] still in the tail: the highest sender seq per peer, per group. */
  private void collectMessages(UserState state, long after, long upTo, Map<String, Long> peers,
      Map<String, Long> groups) {
    collectMessages(state, "", after, upTo, peers, groups);
  }

  /** {@link #collectMessages} of one conversation (a peer, or "#" + group; "" any). */
  private void collectMessages(UserState state, String conversation, long after, long upTo, Map<String, Long> peers,
      Map<String, Long> groups) {
    long start = Math.max(after, state.tailStart() - 1);
    if (upTo <= start) return;
    for (InboxItem i : state.tailAfter(start, (int) Math.min(Integer.MAX_VALUE, upTo - start))) {
      if (i.seq() > upTo || !i.isMessageFrom(userId)) continue;
      if (!conversation.isEmpty() && !conversation.equals(i.conversation(userId))) continue;
      if (i.group() != null) groups.merge(i.group().group(), i.senderSeq(), Math::max);
      else peers.merge(i.from(), i.senderSeq(), Math::max);
    }
  }

  private void tellGroup(String group, io.insync.persistence.group.GroupEntity.Command c) {
    try {
      refs.group(group).tell(c);
    } catch (UnsupportedOperationException notServed) {
      ctx.getLog().debug("user {}: groups are not served here, receipt to {} dropped", userId, group);
    }
  }

  /**
   * The user read a conversation up to {@code upTo} (a seq of this inbox): stored (a mark never goes
   * back), and read receipts go to the peer or group unless the user turned them off.
   */
  private ReplyEffect<Event, UserState> onMarkRead(UserState state, MarkRead c) {
    if (isRemoved(state, c.device())) {
      return Effect().reply(c.replyTo(), new Done(ErrorCode.AUTH_FAILED, removedReason(c.device())));
    }
    String conv = c.conversation() == null ? "" : c.conversation();
    if (conv.isEmpty() || conv.equals("#")) {
      return Effect().reply(c.replyTo(), new Done(ErrorCode.BAD_REQUEST, "peer or group is missing"));
    }
    if (c.upTo() <= 0) return Effect().reply(c.replyTo(), new Done(ErrorCode.BAD_REQUEST, "up_to must be positive"));
    long upTo = Math.min(c.upTo(), state.lastSeq());
    long before = state.readUpTo(conv);
    if (upTo <= before) return Effect().reply(c.replyTo(), Done.OK); // already read that far
    return Effect().persist(new ReadMarked(conv, upTo))
        .thenRun(s -> {
          if (s.readReceiptsOff()) return;
          Map<String, Long> peers = new HashMap<>();
          Map<String, Long> groups = new HashMap<>();
          collectMessages(s, conv, before, upTo, peers, groups);
          peers.forEach((peer, seq) -> refs.user(peer).tell(new PeerReceipt(userId, Receipt.Kind.READ, seq)));
          groups.forEach((group, seq) -> tellGroup(group,
              new io.insync.persistence.group.GroupEntity.MemberReceipt(userId, Receipt.Kind.READ, seq)));
        })
        .thenReply(c.replyTo(), s -> Done.OK);
  }

  private ReplyEffect<Event, UserState> onSetPrefs(UserState state, SetPrefs c) {
    if (state.readReceiptsOff() == c.readReceiptsOff()) return Effect().reply(c.replyTo(), Done.OK);
    return Effect().persist(new PrefsChanged(c.readReceiptsOff())).thenReply(c.replyTo(), s -> Done.OK);
  }

  // ===================================================================== delivery (recipient side)

  private void stageDeliver(UserState state, Batch b, Deliver cmd) {
    String key = cmd.dedupKey();
    Long staged = b.highWater.get(key);
    long highWater = staged != null ? staged : state.receivedUpTo(key);
    long upTo = highWater;
    List<Delivery> items = new ArrayList<>(cmd.items());
    items.sort(Comparator.comparingLong(Delivery::senderSeq));
    for (Delivery d : items) {
      upTo = Math.max(upTo, d.senderSeq());
      if (d.senderSeq() <= highWater) continue; // a repeat: we have it already (or will, with this write)
      highWater = d.senderSeq();
      String from = d.from().isEmpty() ? cmd.from() : d.from();
      b.events.add(new MessageReceived(b.nextSeq++, from, d.fromDevice(), d.clientMsgId(), d.senderSeq(),
          d.content(), d.serverTs(), bookkeepingFor(b), d.group()));
    }
    b.highWater.put(key, highWater);
    DeliveryReceipt receipt = new DeliveryReceipt(userId, upTo);
    b.receipts.add(() -> cmd.replyTo().tell(receipt));
  }

  // ===================================================================== devices

  private void notifyDevices(UserState state, int newItems) {
    if (sessions.isEmpty()) return;
    List<InboxItem> inline = List.of();
    if (newItems <= settings.notifyInlineMaxItems()) {
      List<InboxItem> newest = state.newestAfter(state.lastSeq() - newItems, newItems);
      if (SyncPages.bytes(newest) <= settings.notifyInlineMaxBytes()) inline = newest;
    }
    NewItems push = new NewItems(userId, state.lastSeq(), inline);
    sessions.values().forEach(s -> s.ref().tell(push));
    List<InboxItem> newest = inline.isEmpty() ? state.newestAfter(state.lastSeq() - 1, 1) : inline;
    if (!newest.isEmpty()) InsyncMetrics.notified(newest.get(newest.size() - 1).serverTs());
  }

  /** The node's pending-deliveries gauge follows this entity's count (what it reported last, then now). */
  private void reportPending(UserState state) {
    long now = Math.max(0, state.pendingCount() - outbox.confirmedNotWritten());
    InsyncMetrics.pending(reportedPending, now);
    reportedPending = now;
  }

  /**
   * A session of a device is online. A removed device is refused (AUTH_FAILED), a new one past
   * max-devices too (LIMIT_EXCEEDED); the login policy logs out the sessions this one displaces; a
   * device seen for the first time (or on a new platform) is stored before the answer.
   */
  private ReplyEffect<Event, UserState> onConnect(UserState state, Connect c) {
    UserState.DeviceRecord known = state.device(c.device());
    if (known != null && known.removed()) {
      return Effect().reply(c.replyTo(), new Connected(state.lastSeq(), 0, ErrorCode.AUTH_FAILED,
          "device " + c.device() + " was removed"));
    }
    if (known == null && state.activeDevices() >= settings.maxDevices()) {
      return Effect().reply(c.replyTo(), new Connected(state.lastSeq(), 0, ErrorCode.LIMIT_EXCEEDED,
          "user has " + state.activeDevices() + " devices, the most allowed (max-devices); remove one first"));
    }
    String platform = c.platform().isEmpty() && known != null ? known.platform() : c.platform();
    if (!applyLoginPolicy(state, c.device(), platform, c.sessionStartedAt())) {
      return Effect().reply(c.replyTo(), new Connected(state.lastSeq(), 0, ErrorCode.LOGGED_IN_ELSEWHERE,
          "another device of " + userId + " logged in later (login policy " + settings.loginPolicy() + ")"));
    }
    if (!register(c.device(), c.session(), c.sessionStartedAt())) {
      return Effect().reply(c.replyTo(), new Connected(state.lastSeq(), deviceKey(state, c.device())));
    }
    if (known != null && known.platform().equals(platform)) {
      return Effect().reply(c.replyTo(), new Connected(state.lastSeq(), deviceKey(state, c.device())));
    }
    gate.writing = true;
    return Effect().persist(new DeviceRegistered(c.device(), platform, System.currentTimeMillis()))
        .thenRun(s -> {
          gate.writing = false;
          releaseHeld();
        })
        .thenReply(c.replyTo(), s -> new Connected(s.lastSeq(), deviceKey(s, c.device())));
  }

  /**
   * The sessions a new session of {@code device} displaces under the login policy are logged out
   * (LOGGED_IN_ELSEWHERE). Only older ones: if a displacing session is newer than this one (this is
   * a delayed Connect), this one is the session that goes; returns false then.
   */
  private boolean applyLoginPolicy(UserState state, String device, String platform, long startedAt) {
    if (settings.loginPolicy() == UserSettings.LoginPolicy.ANY) return true;
    if (settings.loginPolicy() == UserSettings.LoginPolicy.ONE_PER_PLATFORM && platform.isEmpty()) return true;
    List<String> displaced = new ArrayList<>();
    for (Map.Entry<String, DeviceSession> e : sessions.entrySet()) {
      String other = e.getKey();
      if (other.equals(device)) continue;
      if (settings.loginPolicy() == UserSettings.LoginPolicy.ONE_PER_PLATFORM) {
        UserState.DeviceRecord r = state.device(other);
        if (r == null || !platform.equals(r.platform())) continue;
      }
      if (e.getValue().startedAt() > startedAt) return false; // a newer login displaces this one
      displaced.add(other);
    }
    for (String other : displaced) {
      DeviceSession gone = sessions.remove(other);
      ctx.unwatch(gone.ref());
      gone.ref().tell(new LoggedOut(userId, other, ErrorCode.LOGGED_IN_ELSEWHERE,
          "logged in on device " + device + (platform.isEmpty() ? "" : " (" + platform + ")")));
    }
    return true;
  }

  /**
   * Sessions found through presence (this entity started while they were connected, e.g. after a
   * passivation) are judged by the login policy too, among themselves and with the ones that
   * registered since: in each set the policy allows one of, the newest login stays, the others are
   * logged out (LOGGED_IN_ELSEWHERE).
   */
  private void enforceLoginPolicy(UserState state) {
    if (settings.loginPolicy() == UserSettings.LoginPolicy.ANY) return;
    Map<String, String> newestBySet = new HashMap<>();
    Map<String, String> setOf = new HashMap<>();
    for (Map.Entry<String, DeviceSession> e : sessions.entrySet()) {
      String set;
      if (settings.loginPolicy() == UserSettings.LoginPolicy.ONE_DEVICE) {
        set = "";
      } else {
        UserState.DeviceRecord r = state.device(e.getKey());
        if (r == null || r.platform().isEmpty()) continue;
        set = r.platform();
      }
      setOf.put(e.getKey(), set);
      String newest = newestBySet.get(set);
      if (newest == null || sessions.get(newest).startedAt() < e.getValue().startedAt()) newestBySet.put(set, e.getKey());
    }
    for (Map.Entry<String, String> e : setOf.entrySet()) {
      String device = e.getKey();
      String winner = newestBySet.get(e.getValue());
      if (device.equals(winner)) continue;
      DeviceSession gone = sessions.remove(device);
      ctx.unwatch(gone.ref());
      gone.ref().tell(new LoggedOut(userId, device, ErrorCode.LOGGED_IN_ELSEWHERE, "logged in on device " + winner));
    }
  }

  private ReplyEffect<Event, UserState> onSessionsFound(UserState state, SessionsFound f) {
    if (!userId.equals(f.user())) return Effect().noReply(); // not ours: never register another user's device
    NewItems latest = new NewItems(userId, state.lastSeq(), List.of());
    int registered = 0;
    for (PresenceProtocol.PresentSession s : f.sessions()) {
      DeviceSession known = sessions.get(s.device());
      // a session that registered itself (Connect) got the latest seq in its Connected: no push
      if (known != null && known.ref().equals(s.session())) continue;
      UserState.DeviceRecord device = state.device(s.device());
      if (device != null && device.removed()) {
        s.session().tell(new LoggedOut(userId, s.device(), ErrorCode.AUTH_FAILED, "device " + s.device() + " was removed"));
        continue;
      }
      if (register(s.device(), s.session(), s.startedAt())) {
        s.session().tell(latest);
        registered++;
      }
    }
    if (registered > 0) enforceLoginPolicy(state);
    if (!f.sessions().isEmpty()) {
      ctx.getLog().debug("user {}: {} of {} sessions found by a presence directory registered, told seq {}",
          userId, registered, f.sessions().size(), state.lastSeq());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, UserState> onListDevices(UserState state, ListDevices c) {
    return Effect().reply(c.replyTo(), new DeviceList(devices(state)));
  }

  private ReplyEffect<Event, UserState> onInspect(UserState state, Inspect c) {
    return Effect().reply(c.replyTo(), new Inspection(userId, ctx.getSystem().address().toString(), state.lastSeq(),
        state.pendingCount() - outbox.confirmedNotWritten(), devices(state), startedAt));
  }

  private ReplyEffect<Event, UserState> onPassivate(UserState state, Passivate c) {
    String node = ctx.getSystem().address().toString();
    if (shard == null) {
      return Effect().reply(c.replyTo(), new Passivating(userId, node, false, "this entity does not run in a shard"));
    }
    ctx.getLog().info("user {}: passivating on request (management HTTP)", userId);
    var passivate = new org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.Passivate<>(ctx.getSelf());
    Passivating answer = new Passivating(userId, node, true, "");
    // a stop on request is not a crash: the acks and confirmations not yet written go first (a crash may
    // lose them harmlessly, but an operator's passivation should not make devices' stored keys go back)
    Bookkeeping b = takeBookkeeping();
    if (b.isEmpty()) {
      shard.tell(passivate);
      return Effect().reply(c.replyTo(), answer);
    }
    gate.writing = true;
    return Effect().persist(new BookkeepingFlushed(b))
        .thenRun(s -> {
          gate.writing = false;
          releaseHeld();
          shard.tell(passivate);
        })
        .thenReply(c.replyTo(), s -> answer);
  }

  /** The registered devices that were not removed, in registration order. */
  private List<DeviceInfo> devices(UserState state) {
    List<DeviceInfo> out = new ArrayList<>();
    state.devices().forEach((device, r) -> {
      if (!r.removed()) {
        out.add(new DeviceInfo(device, r.platform(), deviceKey(state, device), sessions.containsKey(device),
            r.registeredAt()));
      }
    });
    return out;
  }

  /**
   * A removed device's commands are refused (AUTH_FAILED), not only its Connect: a command it
   * pipelined before its removal was stored, or sent on a session whose LoggedOut was lost between
   * nodes, must not act for the user.
   */
  private static boolean isRemoved(UserState state, String device) {
    UserState.DeviceRecord r = device == null ? null : state.device(device);
    return r != null && r.removed();
  }

  private static String removedReason(String device) {
    return "device " + device + " was removed";
  }

  /** Removes a device: stored, then its session is logged out (AUTH_FAILED); its Connects are refused from then on. */
  private ReplyEffect<Event, UserState> onRemoveDevice(UserState state, RemoveDevice c) {
    if (isRemoved(state, c.by())) return Effect().reply(c.replyTo(), new Done(ErrorCode.AUTH_FAILED, removedReason(c.by())));
    UserState.DeviceRecord r = c.device() == null ? null : state.device(c.device());
    if (r == null) {
      return Effect().reply(c.replyTo(), new Done(ErrorCode.NOT_FOUND, "no device " + c.device() + " of " + userId));
    }
    if (r.removed()) return Effect().reply(c.replyTo(), Done.OK); // removed before: a retry
    gate.writing = true;
    return Effect().persist(new DeviceRemoved(c.device(), System.currentTimeMillis()))
        .thenRun(s -> {
          gate.writing = false;
          DeviceSession session = sessions.remove(c.device());
          acksUnwritten.remove(c.device());
          if (session != null) {
            ctx.unwatch(session.ref());
            session.ref().tell(new LoggedOut(userId, c.device(), ErrorCode.AUTH_FAILED,
                "device " + c.device() + " was removed by " + c.by()));
          }
          releaseHeld();
        })
        .thenReply(c.replyTo(), s -> Done.OK);
  }

  /**
   * Registers a device's session unless a newer session of the device is registered (that one
   * wins; the older is told SessionReplaced). Returns whether {@code session} is now registered.
   */
  private boolean register(String device, ActorRef<DeviceEvent> session, long startedAt) {
    DeviceSession old = sessions.get(device);
    if (old != null && old.ref().equals(session)) return true; // already registered
    if (old != null && startedAt < old.startedAt()) {
      // a delayed Connect (or a lookup reply) of an older session: it must never evict the newer one
      session.tell(new SessionReplaced(userId, device));
      return false;
    }
    if (old != null) {
      ctx.unwatch(old.ref());
      old.ref().tell(new SessionReplaced(userId, device));
    }
    sessions.put(device, new DeviceSession(session, startedAt));
    ctx.watchWith(session, new SessionGone(device, session));
    return true;
  }

  private long deviceKey(UserState state, String device) {
    return Math.max(state.deviceKey(device), acksUnwritten.getOrDefault(device, 0L));
  }

  private ReplyEffect<Event, UserState> onAck(UserState state, AckKey c) {
    UserState.DeviceRecord device = state.device(c.device());
    if (device != null && device.removed()) return Effect().noReply(); // a late ack of a removed device
    long key = Math.min(c.key(), state.lastSeq());
    if (key > deviceKey(state, c.device())) {
      acksUnwritten.put(c.device(), key);
      scheduleFlush();
      InsyncMetrics.ack("ok");
    } else {
      InsyncMetrics.ack("stale");
    }
    sendDeliveryReceipts(state, key);
    return Effect().noReply();
  }

  // ===================================================================== sync

  private ReplyEffect<Event, UserState> onSync(UserState state, Sync c) {
    if (isRemoved(state, c.device())) {
      return Effect().reply(c.replyTo(), new SyncFailed(ErrorCode.AUTH_FAILED, removedReason(c.device()), 0));
    }
    int max = c.maxItems() <= 0 ? settings.syncPageMax() : Math.min(c.maxItems(), settings.syncPageMax());
    long key = c.afterKey();
    long latest = state.lastSeq();
    if (key < 0) return Effect().reply(c.replyTo(), new SyncFailed(ErrorCode.BAD_REQUEST, "sync key is negative", 0));
    if (key > latest) {
      return Effect().reply(c.replyTo(), new SyncFailed(ErrorCode.BAD_REQUEST,
          "sync key " + key + " is ahead of the inbox (latest " + latest + ")", 0));
    }
    SyncFilter filter = c.filter();
    if (state.tailCovers(key)) {
      if (filter == null) {
        return Effect().reply(c.replyTo(), SyncPages.page(state.tailAfter(key, max), key, latest,
            settings.syncPageMaxBytes()));
      }
      return Effect().reply(c.replyTo(), SyncPages.filtered(state.tailAfter(key, settings.syncFilterScanMax()), filter,
          userId, key, latest, max, settings.syncPageMaxBytes()));
    }
    readJournal(state, key, max, latest, filter, c.replyTo());
    return Effect().noReply();
  }

  /** The inbox items after {@code key}, from the journal, in order. */
  private org.apache.pekko.stream.javadsl.Source<InboxItem, org.apache.pekko.NotUsed> itemsAfter(UserState state,
      long key) {
    String self = userId;
    return readJournal
        .currentEventsByPersistenceId(persistenceId(userId).id(), state.journalSeqNrLowerBound(key + 1), Long.MAX_VALUE)
        .mapConcat(env -> {
          InboxItem i = InboxItem.of(self, env.event());
          return i == null || i.seq() <= key ? List.<InboxItem>of() : List.of(i);
        });
  }

  /** Older items come from the journal, read off the actor; the reply goes straight back. */
  private void readJournal(UserState state, long key, int max, long latest, SyncFilter filter,
      ActorRef<SyncResult> replyTo) {
    if (filter != null) {
      readJournalFiltered(state, key, max, latest, filter, replyTo);
      return;
    }
    String self = userId;
    itemsAfter(state, key)
        .take(max)
        .runWith(Sink.seq(), ctx.getSystem())
        .whenComplete((items, err) -> {
          if (err != null) {
            replyTo.tell(new SyncFailed(ErrorCode.UNAVAILABLE, "journal read failed: " + err.getMessage(), 1000));
            return;
          }
          for (int i = 0; i < items.size(); i++) {
            if (items.get(i).seq() != key + 1 + i) {
              replyTo.tell(new SyncFailed(ErrorCode.INTERNAL,
                  "journal of " + self + " has a gap before seq " + items.get(i).seq(), 0));
              return;
            }
          }
          replyTo.tell(SyncPages.page(items, key, latest, settings.syncPageMaxBytes()));
        });
  }

  /**
   * A filtered page from the journal: the stream looks at the items after {@code key} up to
   * sync-filter-scan-max of them (seqs are gapless) and keeps only the matching ones, at most
   * {@code max}: never more than a page is held, however many items it looks at.
   */
  private void readJournalFiltered(UserState state, long key, int max, long latest, SyncFilter filter,
      ActorRef<SyncResult> replyTo) {
    long scanTo = Math.min(latest, key + settings.syncFilterScanMax());
    String self = userId;
    itemsAfter(state, key)
        .takeWhile(i -> i.seq() <= scanTo)
        .filter(i -> filter.matches(self, i))
        .take(max)
        .runWith(Sink.seq(), ctx.getSystem())
        .whenComplete((matches, err) -> {
          if (err != null) {
            replyTo.tell(new SyncFailed(ErrorCode.UNAVAILABLE, "journal read failed: " + err.getMessage(), 1000));
            return;
          }
          replyTo.tell(SyncPages.matched(matches, key, scanTo, latest, max, settings.syncPageMaxBytes()));
        });
  }

  /** The inbox item an event created, or null (see {@link InboxItem#of}). */
  public static InboxItem itemOf(String userId, Object event) {
    return InboxItem.of(userId, event);
  }

  // ===================================================================== bookkeeping

  private Bookkeeping takeBookkeeping() {
    if (!outbox.hasUnwritten() && acksUnwritten.isEmpty()) return Bookkeeping.EMPTY;
    Bookkeeping b = new Bookkeeping(outbox.takeConfirmed(), acksUnwritten);
    acksUnwritten.clear();
    timers.cancel(FlushBookkeeping.INSTANCE);
    return b;
  }

  private void scheduleFlush() {
    if (!outbox.hasUnwritten() && acksUnwritten.isEmpty()) return;
    if (!timers.isTimerActive(FlushBookkeeping.INSTANCE)) {
      timers.startSingleTimer(FlushBookkeeping.INSTANCE, FlushBookkeeping.INSTANCE, settings.bookkeepingFlush());
    }
  }

  private ReplyEffect<Event, UserState> onFlush(UserState state, FlushBookkeeping c) {
    Bookkeeping b = takeBookkeeping();
    if (b.isEmpty()) return Effect().noReply();
    gate.writing = true;
    return Effect().persist(new BookkeepingFlushed(b))
        .thenRun(s -> {
          gate.writing = false;
          releaseHeld();
        })
        .thenNoReply();
  }

  /** Once no write is in flight, the sends and deliveries held meanwhile go as the next batch. */
  private void releaseHeld() {
    if (!gate.writing && gate.hasHeld()) ctx.getSelf().tell(ReleaseHeld.INSTANCE);
  }
}
