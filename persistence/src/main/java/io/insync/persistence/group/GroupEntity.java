package io.insync.persistence.group;

import io.insync.persistence.ClusterMessage;
import io.insync.persistence.metrics.InsyncMetrics;
import io.insync.persistence.user.GroupTag;
import io.insync.persistence.user.GroupTag.Action;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.RouteChanges;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.persistence.user.UserSettings;
import io.insync.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One group: owns its membership and its log (messages and membership changes, one gapless group
 * seq), and writes every entry into each recipient's inbox (write diffusion). An entry is durable
 * once logged here ({@link Logged}); a post is acked then. Fan-out to each recipient is
 * independent: one batch in flight per recipient, retried with backoff until its entity confirms,
 * so a slow or unavailable member delays only its own copy. Members dedup by the group's seq
 * ({@link GroupTag#dedupKey}), so a fan-out repeated after a restart of this entity is harmless.
 * Confirmed positions are saved at most every {@code cursor-flush} ({@link CursorsSaved}); after a
 * restart the fan-out resumes from them. While any copy is on its way, the delivery keeper
 * (entity id {@code #group}) keeps this entity started, on whatever node its shard lives.
 */
public final class GroupEntity
    extends EventSourcedBehaviorWithEnforcedReplies<GroupEntity.Command, GroupEntity.Event, GroupState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Group");

  public static PersistenceId persistenceId(String groupId) {
    return PersistenceId.of(ENTITY_KEY.name(), groupId);
  }

  // ===================================================================== protocol

  public interface Command extends ClusterMessage {}

  /** A member's device posts a message; answered with UserEntity's SendAccepted (seq = group seq) once logged. */
  public record Post(String by, String device, String clientMsgId, MessageContent content,
      ActorRef<UserEntity.SendResult> replyTo) implements Command {}

  /**
   * Creates the group ({@code CREATED}: {@code members} are the first members besides {@code by},
   * the owner; {@code name} its name) or changes its membership: JOINED (add {@code members}),
   * REMOVED, LEFT ({@code by} leaves), OWNER_CHANGED (to {@code members[0]}), ADMIN_ADDED,
   * ADMIN_REMOVED. Answered with {@link Info} once written, or {@link Refused}.
   */
  public record Manage(String by, Action action, List<String> members, String name, ActorRef<Reply> replyTo)
      implements Command {
    public Manage {
      members = List.copyOf(members);
      name = name == null ? "" : name;
    }
  }

  /** The group's membership, for one of its members. */
  public record GetInfo(String by, ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends ClusterMessage permits Info, Refused, Receipts {}

  /**
   * A member's devices got ({@code DELIVERED}) or read ({@code READ}) the group's messages up to
   * {@code upTo}, a group seq. No reply; counted, saved at most every receipt-flush, and reported
   * to the senders of the messages it moved.
   */
  public record MemberReceipt(String member, io.insync.persistence.user.Receipt.Kind kind, long upTo)
      implements Command {}

  /** Who got and read message {@code groupSeq}; only its sender may ask. Answered with {@link Receipts} or {@link Refused}. */
  public record GetReceipts(String by, long groupSeq, ActorRef<Reply> replyTo) implements Command {}

  /** @param recipients the members the message went to (its sender not counted) */
  public record Receipts(String group, long groupSeq, int recipients, List<String> delivered, List<String> read)
      implements Reply {
    public Receipts {
      delivered = List.copyOf(delivered);
      read = List.copyOf(read);
    }
  }

  public record Info(String group, String name, String owner, List<String> admins, List<String> members,
      long lastSeq) implements Reply {
    public Info {
      admins = List.copyOf(admins);
      members = List.copyOf(members);
    }
  }

  /** @param code NOT_FOUND, FORBIDDEN, LIMIT_EXCEEDED or BAD_REQUEST */
  public record Refused(ErrorCode code, String reason) implements Reply {}

  /** For the delivery keeper and operators: how many recipients still wait for entries. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  public record Status(String group, long lastSeq, int pendingRecipients) implements ClusterMessage {}

  /** Sent through sharding: counts as activity and starts the entity again wherever its shard lives. */
  public record KeepAlive(String reason) implements Command {}

  private interface Internal extends Command, NoSerializationVerificationNeeded {}

  private record Confirmed(String member, long attemptId, long upTo) implements Internal {}

  private record Failed(String member, long attemptId, String why) implements Internal {}

  private record Retry(String member) implements Internal {}

  private enum FlushCursors implements Internal { INSTANCE }

  private enum FlushReceipts implements Internal { INSTANCE }

  private enum Rerouted implements Internal { INSTANCE }

  // ===================================================================== events

  public interface Event {}

  /** One entry of the log; see {@link GroupState} for what each action changes. */
  public record Logged(long seq, Action action, String by, String device, String clientMsgId,
      MessageContent content, long serverTs, List<String> members, String name) implements Event {
    public Logged {
      members = List.copyOf(members);
      name = name == null ? "" : name;
      device = device == null ? "" : device;
      clientMsgId = clientMsgId == null ? "" : clientMsgId;
      content = content == null ? MessageContent.EMPTY : content;
    }
  }

  /** Recipients' entities confirmed the log up to these seqs. */
  public record CursorsSaved(Map<String, Long> cursors) implements Event {
    public CursorsSaved {
      cursors = Map.copyOf(cursors);
    }
  }

  /** Members' receipt marks moved (merged into the saved ones, never going back). */
  public record ReceiptsSaved(Map<String, GroupState.ReceiptMark> marks) implements Event {
    public ReceiptsSaved {
      marks = Map.copyOf(marks);
    }
  }

  // ===================================================================== wiring

  /** Where a group reports that its fan-out must outlive this incarnation (the delivery keeper). */
  public interface PendingFanOut {
    PendingFanOut NONE = groupId -> {};

    void pending(String groupId);
  }

  public record Deps(GroupSettings settings, UserSettings delivery, UserRefs users, PendingFanOut keeper) {}

  public static Behavior<Command> create(String groupId, Deps deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GroupEntity(groupId, ctx, timers, deps)));
  }

  private static final AtomicLong ATTEMPT_IDS = new AtomicLong();

  private final String groupId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final GroupSettings settings;
  private final UserSettings delivery;
  private final UserRefs users;
  private final PendingFanOut keeper;

  // runtime, per incarnation
  private final Map<String, Long> inFlight = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final Map<String, Long> confirmedUnsaved = new HashMap<>();
  private final Map<String, GroupState.ReceiptMark> receiptsUnsaved = new HashMap<>();
  /** The counts last sent per group seq (runtime, the last receipt-window of them): only changes go out. */
  private final java.util.TreeMap<Long, io.insync.persistence.user.Receipt.Count> reported = new java.util.TreeMap<>();
  private boolean keeperTold;
  private RouteChanges.Registration routeRegistration;

  private GroupEntity(String groupId, ActorContext<Command> ctx, TimerScheduler<Command> timers, Deps deps) {
    super(persistenceId(groupId), SupervisorStrategy.restartWithBackoff(
        deps.delivery().restartMin(), deps.delivery().restartMax(), 0.2));
    this.groupId = groupId;
    this.ctx = ctx;
    this.timers = timers;
    this.settings = deps.settings();
    this.delivery = deps.delivery();
    this.users = deps.users();
    this.keeper = deps.keeper();
  }

  @Override
  public GroupState emptyState() {
    return GroupState.empty(groupId, settings.postDedupWindow());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
  }

  @Override
  public SnapshotAdapter<GroupState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(GroupState state) {
        return GroupCodec.toSnapshot(state);
      }

      @Override
      public GroupState fromJournal(Object from) {
        if (from instanceof io.insync.persistence.proto.GroupSnapshot s) {
          return GroupCodec.fromSnapshot(s, settings.postDedupWindow());
        }
        if (from instanceof GroupState s) return s;
        throw new IllegalStateException("unknown group snapshot type " + from.getClass());
      }
    };
  }

  @Override
  public SignalHandler<GroupState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          InsyncMetrics.recovered("group", "ok");
          inFlight.clear();
          failures.clear();
          confirmedUnsaved.clear();
          receiptsUnsaved.clear();
          reported.clear();
          keeperTold = false;
          timers.cancelAll();
          if (routeRegistration == null) {
            ActorRef<Command> self = ctx.getSelf();
            routeRegistration = users.routeChanges().listen(() -> self.tell(Rerouted.INSTANCE));
          }
          fanOut(state);
        })
        .onSignal(PostStop.class, (state, signal) -> {
          if (routeRegistration != null) routeRegistration.cancel();
          routeRegistration = null;
          if (pendingRecipients(state) > 0) keeper.pending(groupId);
        })
        .build();
  }

  @Override
  public EventHandler<GroupState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(GroupState::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, GroupState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Post.class, this::onPost)
        .onCommand(Manage.class, this::onManage)
        .onCommand(GetInfo.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          if (!s.isMember(c.by())) return Effect().reply(c.replyTo(), notMember(c.by()));
          return Effect().reply(c.replyTo(), info(s));
        })
        .onCommand(GetStatus.class, (s, c) ->
            Effect().reply(c.replyTo(), new Status(groupId, s.lastSeq(), pendingRecipients(s))))
        .onCommand(KeepAlive.class, (s, c) -> Effect().noReply())
        .onCommand(Confirmed.class, this::onConfirmed)
        .onCommand(Failed.class, this::onFailed)
        .onCommand(Retry.class, (s, c) -> {
          deliver(s, c.member());
          return Effect().noReply();
        })
        .onCommand(FlushCursors.class, (s, c) -> flushCursors())
        .onCommand(MemberReceipt.class, this::onMemberReceipt)
        .onCommand(FlushReceipts.class, this::flushReceipts)
        .onCommand(GetReceipts.class, this::onGetReceipts)
        .onCommand(Rerouted.class, (s, c) -> {
          // a node left: a batch in flight may have gone to its shards and been lost
          inFlight.clear();
          fanOut(s);
          return Effect().noReply();
        })
        .build();
  }

  // ===================================================================== posts and management

  private ReplyEffect<Event, GroupState> onPost(GroupState s, Post p) {
    if (!s.exists()) return Effect().reply(p.replyTo(), rejected(p, ErrorCode.NOT_FOUND, "no group " + groupId, 0));
    if (!s.isMember(p.by())) {
      return Effect().reply(p.replyTo(), rejected(p, ErrorCode.FORBIDDEN, p.by() + " is not a member of " + groupId, 0));
    }
    GroupState.PostRecord before = s.postedBefore(p.by(), p.device(), p.clientMsgId());
    if (before != null) {
      return Effect().reply(p.replyTo(), new UserEntity.SendAccepted(p.clientMsgId(), before.seq(), before.serverTs()));
    }
    if (p.content().sizeBytes() > delivery.maxContentBytes()) {
      return Effect().reply(p.replyTo(), rejected(p, ErrorCode.BAD_REQUEST,
          "content is " + p.content().sizeBytes() + " bytes, the limit is " + delivery.maxContentBytes(), 0));
    }
    if (s.log().size() >= settings.maxUndelivered()) {
      return Effect().reply(p.replyTo(), rejected(p, ErrorCode.RATE_LIMITED, "group " + groupId + " has "
          + s.log().size() + " entries still on their way to members; retry later",
          (int) delivery.rateLimitedRetryAfter().toMillis()));
    }
    long ts = System.currentTimeMillis();
    Logged e = new Logged(s.lastSeq() + 1, Action.MESSAGE, p.by(), p.device(), p.clientMsgId(), p.content(), ts,
        List.of(), "");
    return Effect().persist(e)
        .thenRun(this::fanOut)
        .thenReply(p.replyTo(), st -> new UserEntity.SendAccepted(p.clientMsgId(), e.seq(), ts));
  }

  private static UserEntity.SendRejected rejected(Post p, ErrorCode code, String reason, int retryAfterMs) {
    return new UserEntity.SendRejected(p.clientMsgId(), code, reason, retryAfterMs);
  }

  private ReplyEffect<Event, GroupState> onManage(GroupState s, Manage m) {
    Reply refusal = GroupRules.check(s, m, settings.maxMembers());
    if (refusal != null) return Effect().reply(m.replyTo(), refusal);
    List<String> named = GroupRules.effective(s, m);
    if (named == null) return Effect().reply(m.replyTo(), info(s)); // nothing to change: a repeat
    Logged e = new Logged(s.lastSeq() + 1, m.action(), m.by(), "", "", MessageContent.EMPTY,
        System.currentTimeMillis(), named, m.action() == Action.CREATED ? m.name() : "");
    return Effect().persist(e).thenRun(this::fanOut).thenReply(m.replyTo(), GroupEntity::info);
  }

  private static Info info(GroupState s) {
    return new Info(s.group(), s.name(), s.owner(), List.copyOf(s.admins()), s.members(), s.lastSeq());
  }

  private Refused notFound() {
    return new Refused(ErrorCode.NOT_FOUND, "no group " + groupId);
  }

  private Refused notMember(String user) {
    return new Refused(ErrorCode.FORBIDDEN, user + " is not a member of " + groupId);
  }

  // ===================================================================== fan-out

  private long upTo(GroupState s, String member) {
    GroupState.Recipient r = s.recipients().get(member);
    long saved = r == null ? 0 : r.upTo();
    return Math.max(saved, confirmedUnsaved.getOrDefault(member, 0L));
  }

  private int pendingRecipients(GroupState s) {
    int n = 0;
    for (Map.Entry<String, GroupState.Recipient> e : s.recipients().entrySet()) {
      if (upTo(s, e.getKey()) < e.getValue().limit(s.lastSeq())) n++;
    }
    return n;
  }

  /** Starts a batch to every recipient that lacks entries and has none in flight. */
  private void fanOut(GroupState s) {
    boolean any = false;
    for (String member : new ArrayList<>(s.recipients().keySet())) any |= deliver(s, member);
    if (any && !keeperTold) {
      // the fan-out may outlive this node: the keeper (remembered by its shard) restarts us elsewhere
      keeperTold = true;
      keeper.pending(groupId);
    }
  }

  private boolean deliver(GroupState s, String member) {
    if (inFlight.containsKey(member)) return true;
    List<Logged> entries = s.entriesFor(member, upTo(s, member), delivery.deliveryBatchMax());
    if (entries.isEmpty()) return false;
    List<UserEntity.Delivery> items = new ArrayList<>();
    long bytes = 0;
    for (Logged e : entries) {
      UserEntity.Delivery d = new UserEntity.Delivery(e.seq(), e.device(), e.clientMsgId(), e.content(), e.serverTs(),
          e.by(), new GroupTag(groupId, e.action(), e.members(), e.name()));
      long b = e.content().sizeBytes() + 64L + 16L * e.members().size();
      if (!items.isEmpty() && bytes + b > delivery.deliveryBatchMaxBytes()) break;
      items.add(d);
      bytes += b;
    }
    long attempt = ATTEMPT_IDS.incrementAndGet();
    inFlight.put(member, attempt);
    ctx.ask(UserEntity.DeliveryReceipt.class, users.user(member), delivery.deliveryTimeout(),
        replyTo -> new UserEntity.Deliver(groupId, items, replyTo, groupId),
        (receipt, failure) -> receipt != null
            ? new Confirmed(member, attempt, receipt.upToSenderSeq())
            : new Failed(member, attempt, String.valueOf(failure)));
    return true;
  }

  private ReplyEffect<Event, GroupState> onConfirmed(GroupState s, Confirmed c) {
    if (!inFlight.remove(c.member(), c.attemptId())) return Effect().noReply(); // stale
    failures.remove(c.member());
    timers.cancel(retryKey(c.member()));
    confirmedUnsaved.merge(c.member(), c.upTo(), Math::max);
    Logged newest = s.log().get(c.upTo());
    if (newest != null) InsyncMetrics.fanOut(newest.serverTs());
    if (!timers.isTimerActive(FlushCursors.INSTANCE)) {
      timers.startSingleTimer(FlushCursors.INSTANCE, FlushCursors.INSTANCE, settings.cursorFlush());
    }
    deliver(s, c.member());
    // the next fan-out tells the keeper again. Only worth a scan of all recipients when this one
    // has caught up (with none in flight): otherwise something is still pending anyway
    if (keeperTold && !inFlight.containsKey(c.member()) && pendingRecipients(s) == 0) keeperTold = false;
    return Effect().noReply();
  }

  private ReplyEffect<Event, GroupState> onFailed(GroupState s, Failed f) {
    if (!inFlight.remove(f.member(), f.attemptId())) return Effect().noReply();
    int n = failures.merge(f.member(), 1, Integer::sum);
    java.time.Duration delay = delivery.retryDelay(n);
    if (n == 1 || n % 10 == 0) {
      ctx.getLog().warn("group {}: delivery to {} failed ({} in a row), retrying in {}: {}", groupId, f.member(), n,
          delay, f.why());
    }
    timers.startSingleTimer(retryKey(f.member()), new Retry(f.member()), delay);
    if (!keeperTold) {
      keeperTold = true;
      keeper.pending(groupId);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, GroupState> flushCursors() {
    if (confirmedUnsaved.isEmpty()) return Effect().noReply();
    Map<String, Long> cursors = Map.copyOf(confirmedUnsaved);
    return Effect().persist(new CursorsSaved(cursors))
        .thenRun(s -> cursors.forEach((m, upTo) -> confirmedUnsaved.remove(m, upTo)))
        .thenNoReply();
  }

  // ===================================================================== receipts

  private GroupState.ReceiptMark markOf(GroupState s, String member) {
    GroupState.ReceiptMark saved = s.receipts().getOrDefault(member, GroupState.ReceiptMark.NONE);
    GroupState.ReceiptMark unsaved = receiptsUnsaved.get(member);
    return unsaved == null ? saved : saved.merge(unsaved);
  }

  private ReplyEffect<Event, GroupState> onMemberReceipt(GroupState s, MemberReceipt r) {
    if (!s.isMember(r.member()) || r.kind() == io.insync.persistence.user.Receipt.Kind.GROUP) return Effect().noReply();
    long upTo = Math.min(r.upTo(), s.lastSeq());
    boolean read = r.kind() == io.insync.persistence.user.Receipt.Kind.READ;
    GroupState.ReceiptMark before = markOf(s, r.member());
    GroupState.ReceiptMark after = before.merge(new GroupState.ReceiptMark(upTo, read ? upTo : 0));
    if (after.equals(before)) return Effect().noReply();
    receiptsUnsaved.merge(r.member(), after, GroupState.ReceiptMark::merge);
    if (!timers.isTimerActive(FlushReceipts.INSTANCE)) {
      timers.startSingleTimer(FlushReceipts.INSTANCE, FlushReceipts.INSTANCE, settings.receiptFlush());
    }
    return Effect().noReply();
  }

  /**
   * Saves the marks that moved, then tells each sender whose messages (among the last
   * receipt-window) they moved one {@link UserEntity.GroupReceiptCounts} with those messages' counts.
   */
  private ReplyEffect<Event, GroupState> flushReceipts(GroupState s, FlushReceipts c) {
    if (receiptsUnsaved.isEmpty()) return Effect().noReply();
    Map<String, GroupState.ReceiptMark> moved = Map.copyOf(receiptsUnsaved);
    // the group seqs whose counts can have moved: per member, (saved, new] of delivered and of read
    long windowStart = s.lastSeq() - settings.receiptWindow();
    List<long[]> ranges = new ArrayList<>();
    long lo = Long.MAX_VALUE;
    long hi = 0;
    for (Map.Entry<String, GroupState.ReceiptMark> e : moved.entrySet()) {
      GroupState.ReceiptMark saved = s.receipts().getOrDefault(e.getKey(), GroupState.ReceiptMark.NONE);
      long[][] both = {{Math.max(saved.delivered(), windowStart), e.getValue().delivered()},
          {Math.max(saved.read(), windowStart), e.getValue().read()}};
      for (long[] r : both) {
        if (r[1] <= r[0]) continue;
        ranges.add(r);
        lo = Math.min(lo, r[0]);
        hi = Math.max(hi, r[1]);
      }
    }
    long after = lo;
    long upTo = hi;
    return Effect().persist(new ReceiptsSaved(moved))
        .thenRun(st -> {
          moved.forEach(receiptsUnsaved::remove);
          if (ranges.isEmpty()) return;
          Map<String, List<io.insync.persistence.user.Receipt.Count>> bySender = new HashMap<>();
          st.sendersBetween(after, upTo).forEach((seq, sender) -> {
            if (!inAny(ranges, seq)) return;
            io.insync.persistence.user.Receipt.Count n = count(st, seq, sender);
            if (n.equals(reported.put(seq, n))) return; // told already
            bySender.computeIfAbsent(sender, k -> new ArrayList<>()).add(n);
          });
          while (reported.size() > settings.receiptWindow()) reported.pollFirstEntry();
          bySender.forEach((sender, counts) -> users.user(sender).tell(new UserEntity.GroupReceiptCounts(groupId, counts)));
        })
        .thenNoReply();
  }

  private static boolean inAny(List<long[]> ranges, long seq) {
    for (long[] r : ranges) if (seq > r[0] && seq <= r[1]) return true;
    return false;
  }

  /** Of the members message {@code seq} went to (joined by then, its sender not counted), how many got and read it. */
  private io.insync.persistence.user.Receipt.Count count(GroupState s, long seq, String sender) {
    int[] n = new int[3]; // recipients, delivered, read
    eachRecipient(s, seq, sender, (member, got, read) -> {
      n[0]++;
      if (got) n[1]++;
      if (read) n[2]++;
    });
    return new io.insync.persistence.user.Receipt.Count(seq, n[1], n[2], n[0]);
  }

  private interface RecipientMark {
    void accept(String member, boolean delivered, boolean read);
  }

  /** Each member message {@code seq} went to (joined by then, its sender not counted), with whether it got and read it. */
  private void eachRecipient(GroupState s, long seq, String sender, RecipientMark f) {
    for (Map.Entry<String, Long> m : s.memberSince().entrySet()) {
      if (m.getKey().equals(sender) || m.getValue() > seq) continue;
      GroupState.ReceiptMark mark = markOf(s, m.getKey());
      f.accept(m.getKey(), mark.delivered() >= seq, mark.read() >= seq);
    }
  }

  private ReplyEffect<Event, GroupState> onGetReceipts(GroupState s, GetReceipts g) {
    if (!s.exists()) return Effect().reply(g.replyTo(), notFound());
    String sender = s.senderOf(g.groupSeq());
    if (sender == null) {
      return Effect().reply(g.replyTo(), new Refused(ErrorCode.NOT_FOUND, "message " + g.groupSeq() + " of " + groupId
          + " is not a message, or too old to track (post-dedup-window)"));
    }
    if (!sender.equals(g.by())) {
      return Effect().reply(g.replyTo(), new Refused(ErrorCode.FORBIDDEN, "only the sender of message "
          + g.groupSeq() + " sees its receipts"));
    }
    List<String> delivered = new ArrayList<>();
    List<String> read = new ArrayList<>();
    int[] recipients = new int[1];
    eachRecipient(s, g.groupSeq(), sender, (member, got, didRead) -> {
      recipients[0]++;
      if (got) delivered.add(member);
      if (didRead) read.add(member);
    });
    return Effect().reply(g.replyTo(), new Receipts(groupId, g.groupSeq(), recipients[0], delivered, read));
  }

  private static String retryKey(String member) {
    return "retry-" + member;
  }

  static LinkedHashSet<String> distinct(List<String> xs) {
    return new LinkedHashSet<>(xs);
  }
}
