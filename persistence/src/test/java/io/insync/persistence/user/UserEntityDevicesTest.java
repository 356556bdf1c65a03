package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.user.UserEntity.Command;
import io.insync.persistence.user.UserEntity.Connect;
import io.insync.persistence.user.UserEntity.Connected;
import io.insync.persistence.user.UserEntity.DeviceEvent;
import io.insync.persistence.user.UserEntity.Done;
import io.insync.persistence.user.UserEntity.LoggedOut;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.ItemKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Devices (registration, removal, login policies, max-devices), receipts and sync filters of one user entity. */
class UserEntityDevicesTest {

  static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(ConfigFactory.parseString("""
              insync.user.tail-size = 50
              insync.user.bookkeeping-flush = 200ms
              insync.user.delivery-receipts = on
              insync.user.sync-page-max = 5
              insync.user.sync-filter-scan-max = 6
              """))
          .withFallback(ConfigFactory.load()));

  final Map<String, TestProbe<Command>> users = new ConcurrentHashMap<>();
  final Map<String, TestProbe<GroupEntity.Command>> groups = new ConcurrentHashMap<>();
  final String me = "alice-" + UUID.randomUUID();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  TestProbe<Command> user(String id) {
    return users.computeIfAbsent(id, u -> kit.createTestProbe(Command.class));
  }

  TestProbe<GroupEntity.Command> group(String id) {
    return groups.computeIfAbsent(id, g -> kit.createTestProbe(GroupEntity.Command.class));
  }

  EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> entity(String overrides) {
    UserRefs refs = new UserRefs() {
      @Override
      public RecipientRef<Command> user(String userId) {
        return UserEntityDevicesTest.this.user(userId).getRef();
      }

      @Override
      public RecipientRef<GroupEntity.Command> group(String groupId) {
        return UserEntityDevicesTest.this.group(groupId).getRef();
      }
    };
    var readJournal = PersistenceQuery.get(kit.system())
        .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
    var settings = UserSettings.fromConfig(ConfigFactory.parseString(overrides)
        .withFallback(kit.system().settings().config()));
    return EventSourcedBehaviorTestKit.create(kit.system(), UserEntity.create(me, new UserEntity.Deps(settings, refs,
        readJournal)), EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
  }

  /** A session of {@code device} online since {@code startedAt}; its pushes go to the returned probe. */
  record Session(TestProbe<DeviceEvent> pushes, Connected connected) {}

  Session connect(EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> e, String device, String platform,
      long startedAt) {
    TestProbe<DeviceEvent> pushes = kit.createTestProbe(DeviceEvent.class);
    TestProbe<Connected> reply = kit.createTestProbe(Connected.class);
    e.runCommand(new Connect(device, pushes.getRef(), startedAt, reply.getRef(), platform));
    return new Session(pushes, reply.receiveMessage());
  }

  Done ask(EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> e,
      java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Done>, Command> c) {
    TestProbe<Done> reply = kit.createTestProbe(Done.class);
    e.runCommand(c.apply(reply.getRef()));
    return reply.receiveMessage();
  }

  UserEntity.DeviceList devices(EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> e) {
    TestProbe<UserEntity.DeviceList> reply = kit.createTestProbe(UserEntity.DeviceList.class);
    e.runCommand(new UserEntity.ListDevices("phone", reply.getRef()));
    return reply.receiveMessage();
  }

  /** Messages from {@code from} with these seqs in the sender's inbox. */
  void receive(EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> e, String from, long... senderSeqs) {
    var receipt = kit.createTestProbe(UserEntity.DeliveryReceipt.class);
    List<UserEntity.Delivery> items = java.util.Arrays.stream(senderSeqs)
        .mapToObj(s -> new UserEntity.Delivery(s, "d", "m" + s, MessageContent.text("hi " + s), 1)).toList();
    e.runCommand(new UserEntity.Deliver(from, items, receipt.getRef()));
    receipt.receiveMessage();
  }

  void receiveInGroup(EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> e, String groupId, String from,
      long groupSeq) {
    var receipt = kit.createTestProbe(UserEntity.DeliveryReceipt.class);
    e.runCommand(new UserEntity.Deliver(groupId, List.of(new UserEntity.Delivery(groupSeq, "d", "g" + groupSeq,
        MessageContent.text("to all"), 1, from, new GroupTag(groupId, GroupTag.Action.MESSAGE, List.of(), ""))),
        receipt.getRef(), groupId));
    receipt.receiveMessage();
  }

  // ------------------------------------------------------------------ devices

  @Test
  void devicesAreRegisteredOnceAndListed() {
    var e = entity("");
    var r = e.runCommand(new Connect("phone", kit.<DeviceEvent>createTestProbe().getRef(), 1,
        kit.<Connected>createTestProbe().getRef(), "phone"));
    assertEquals(List.of(new UserEntity.DeviceRegistered("phone", "phone", ((UserEntity.DeviceRegistered) r.event()).at())),
        r.events());
    connect(e, "pc", "desktop", 2);
    // the same device again on the same platform: nothing new to store
    TestProbe<Connected> again = kit.createTestProbe(Connected.class);
    var r2 = e.runCommand(new Connect("phone", kit.<DeviceEvent>createTestProbe().getRef(), 3, again.getRef(), "phone"));
    assertTrue(r2.events().isEmpty(), "no event for a known device: " + r2.events());
    assertNull(again.receiveMessage().refused());
    var list = devices(e).devices();
    assertEquals(List.of("phone", "pc"), list.stream().map(UserEntity.DeviceInfo::device).toList());
    assertEquals(List.of("phone", "desktop"), list.stream().map(UserEntity.DeviceInfo::platform).toList());
    assertTrue(list.stream().allMatch(UserEntity.DeviceInfo::online));
  }

  @Test
  void aRemovedDeviceIsLoggedOutAndRefusedFromThenOnEvenAfterARestart() {
    var e = entity("");
    connect(e, "phone", "phone", 1);
    Session pc = connect(e, "pc", "desktop", 2);
    assertEquals(new Done(ErrorCode.NOT_FOUND, "no device tv of " + me),
        ask(e, reply -> new UserEntity.RemoveDevice("phone", "tv", reply)));
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.RemoveDevice("phone", "pc", reply)));
    LoggedOut out = (LoggedOut) pc.pushes().receiveMessage();
    assertEquals(ErrorCode.AUTH_FAILED, out.code());
    assertEquals(List.of("phone"), devices(e).devices().stream().map(UserEntity.DeviceInfo::device).toList());
    // its token is refused from then on
    assertEquals(ErrorCode.AUTH_FAILED, connect(e, "pc", "desktop", 3).connected().refused());
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.RemoveDevice("phone", "pc", reply)), "a repeat is fine");
    // and so is anything it still sends (pipelined before its removal, or on a session not yet closed)
    var sent = kit.createTestProbe(UserEntity.SendResult.class);
    e.runCommand(new UserEntity.SendMessage("pc", "late", "bob", MessageContent.text("x"), sent.getRef()));
    assertEquals(ErrorCode.AUTH_FAILED, ((UserEntity.SendRejected) sent.receiveMessage()).code());
    var sync = kit.createTestProbe(UserEntity.SyncResult.class);
    e.runCommand(new UserEntity.Sync("pc", 0, 0, sync.getRef()));
    assertEquals(ErrorCode.AUTH_FAILED, ((UserEntity.SyncFailed) sync.receiveMessage()).code());
    assertEquals(ErrorCode.AUTH_FAILED, ask(e, reply -> new UserEntity.RemoveDevice("pc", "phone", reply)).code());
    assertEquals(ErrorCode.AUTH_FAILED, ask(e, reply -> new UserEntity.MarkRead("pc", "bob", 1, reply)).code());
    e.restart();
    assertEquals(ErrorCode.AUTH_FAILED, connect(e, "pc", "desktop", 4).connected().refused());
    assertNull(connect(e, "phone", "phone", 5).connected().refused());
  }

  @Test
  void inspectionNamesTheNodeTheInboxHeadAndEachDevicesAckedKey() {
    var e = entity("");
    connect(e, "phone", "ios", 1);
    TestProbe<UserEntity.Inspection> reply = kit.createTestProbe(UserEntity.Inspection.class);
    long before = System.currentTimeMillis();
    e.runCommand(new UserEntity.Inspect(reply.getRef()));
    UserEntity.Inspection i = reply.receiveMessage();
    assertEquals(me, i.user());
    assertEquals(kit.system().address().toString(), i.node());
    assertEquals(e.getState().lastSeq(), i.lastSeq());
    assertEquals(0, i.pendingDeliveries());
    assertEquals(List.of(new UserEntity.DeviceInfo("phone", "ios", 0, true, i.devices().get(0).registeredAt())),
        i.devices());
    assertTrue(i.startedAt() <= before, "started before it was asked: " + i.startedAt());
  }

  @Test
  void passivateOutsideShardingIsRefusedAndInsideItAsksTheShard() {
    var e = entity("");
    TestProbe<UserEntity.Passivating> reply = kit.createTestProbe(UserEntity.Passivating.class);
    e.runCommand(new UserEntity.Passivate(reply.getRef()));
    UserEntity.Passivating refused = reply.receiveMessage();
    assertEquals(false, refused.accepted());
    assertTrue(refused.reason().contains("shard"), refused.reason());

    var shard = kit.createTestProbe(
        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand.class);
    var readJournal = PersistenceQuery.get(kit.system())
        .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
    var settings = UserSettings.fromConfig(kit.system().settings().config());
    var ref = kit.spawn(UserEntity.create("sharded-" + me, new UserEntity.Deps(settings, u -> user(u).getRef(),
        readJournal), shard.getRef()));
    ref.tell(new UserEntity.Passivate(reply.getRef()));
    UserEntity.Passivating accepted = reply.receiveMessage();
    assertTrue(accepted.accepted(), accepted.toString());
    var asked = (org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.Passivate<?>) shard.receiveMessage();
    assertEquals(ref, asked.entity());
  }

  @Test
  void aNewDevicePastMaxDevicesIsRefusedUntilOneIsRemoved() {
    var e = entity("insync.user.max-devices = 2");
    connect(e, "d1", "", 1);
    connect(e, "d2", "", 2);
    Connected third = connect(e, "d3", "", 3).connected();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, third.refused());
    assertTrue(third.reason().contains("max-devices"), third.reason());
    assertNull(connect(e, "d1", "", 4).connected().refused(), "a known device still connects");
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.RemoveDevice("d1", "d2", reply)));
    assertNull(connect(e, "d3", "", 5).connected().refused());
  }

  @Test
  void oneDevicePolicyLogsOutEveryOtherSessionButNeverANewerOne() {
    var e = entity("insync.user.login-policy = one-device");
    Session phone = connect(e, "phone", "phone", 10);
    Session pc = connect(e, "pc", "desktop", 20);
    LoggedOut out = (LoggedOut) phone.pushes().receiveMessage();
    assertEquals(ErrorCode.LOGGED_IN_ELSEWHERE, out.code());
    assertEquals("phone", out.device());
    // a delayed Connect of an older session (accepted at 5) must not log out the newer login
    Session stale = connect(e, "tablet", "tablet", 5);
    assertEquals(ErrorCode.LOGGED_IN_ELSEWHERE, stale.connected().refused());
    pc.pushes().expectNoMessage(Duration.ofMillis(100));
    var online = devices(e).devices().stream().filter(UserEntity.DeviceInfo::online).map(UserEntity.DeviceInfo::device)
        .toList();
    assertEquals(List.of("pc"), online);
  }

  @Test
  void sessionsFoundAfterARestartAreJudgedByThePolicyToo() {
    var e = entity("insync.user.login-policy = one-device");
    // the entity was passivated while the phone (logged in at 10) stayed connected; the desktop logs
    // in at 20 and starts the entity: its Connect comes first, the presence lookup finds the phone after
    Session pc = connect(e, "pc", "desktop", 20);
    TestProbe<DeviceEvent> phone = kit.createTestProbe(DeviceEvent.class);
    e.runCommand(new UserEntity.SessionsFound(me, List.of(
        new PresenceProtocol.PresentSession("phone", phone.getRef(), 10))));
    DeviceEvent first = phone.receiveMessage();
    if (first instanceof UserEntity.NewItems) first = phone.receiveMessage();
    assertEquals(ErrorCode.LOGGED_IN_ELSEWHERE, ((LoggedOut) first).code());
    pc.pushes().expectNoMessage(Duration.ofMillis(100));
    assertEquals(List.of("pc"), devices(e).devices().stream().filter(UserEntity.DeviceInfo::online)
        .map(UserEntity.DeviceInfo::device).toList());
  }

  @Test
  void onePerPlatformLogsOutTheOldPhoneOnly() {
    var e = entity("insync.user.login-policy = one-per-platform");
    Session phone1 = connect(e, "phone1", "phone", 1);
    Session pc = connect(e, "pc", "desktop", 2);
    Session bare = connect(e, "cli", "", 3);
    connect(e, "phone2", "phone", 4);
    assertEquals(ErrorCode.LOGGED_IN_ELSEWHERE, ((LoggedOut) phone1.pushes().receiveMessage()).code());
    pc.pushes().expectNoMessage(Duration.ofMillis(100));
    bare.pushes().expectNoMessage(Duration.ofMillis(10));
    connect(e, "cli2", "", 5); // no platform: logs nobody out
    bare.pushes().expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void anyPolicyKeepsEverySession() {
    var e = entity("");
    Session a = connect(e, "a", "phone", 1);
    connect(e, "b", "phone", 2);
    a.pushes().expectNoMessage(Duration.ofMillis(100));
  }

  // ------------------------------------------------------------------ receipts

  @Test
  void anAckSendsDeliveryReceiptsToEachSenderOnce() {
    var e = entity("");
    receive(e, "bob", 3, 4);      // inbox seq 1, 2
    receive(e, "carol", 7);       // inbox seq 3
    receiveInGroup(e, "g1", "dan", 12); // inbox seq 4
    connect(e, "phone", "phone", 1);
    e.runCommand(new UserEntity.AckKey("phone", 2));
    assertEquals(new UserEntity.PeerReceipt(me, Receipt.Kind.DELIVERED, 4), user("bob").receiveMessage());
    user("carol").expectNoMessage(Duration.ofMillis(50));
    e.runCommand(new UserEntity.AckKey("phone", 4));
    assertEquals(new UserEntity.PeerReceipt(me, Receipt.Kind.DELIVERED, 7), user("carol").receiveMessage());
    assertEquals(new GroupEntity.MemberReceipt(me, Receipt.Kind.DELIVERED, 12), group("g1").receiveMessage());
    // another device acking what was receipted already: nothing again
    e.runCommand(new UserEntity.AckKey("tablet", 4));
    user("bob").expectNoMessage(Duration.ofMillis(50));
    user("carol").expectNoMessage(Duration.ofMillis(10));
  }

  @Test
  void deliveryReceiptsOffSendsNone() {
    var e = entity("insync.user.delivery-receipts = off");
    receive(e, "bob", 1);
    e.runCommand(new UserEntity.AckKey("phone", 1));
    user("bob").expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aPeersReceiptIsLoggedAsAnItemOnlyWhenItMovesForward() {
    var e = entity("");
    var sent = kit.createTestProbe(UserEntity.SendResult.class);
    e.runCommand(new UserEntity.SendMessage("phone", "m1", me, MessageContent.text("note"), sent.getRef()));
    var r = e.runCommand(new UserEntity.PeerReceipt("bob", Receipt.Kind.DELIVERED, 1));
    var logged = (UserEntity.ReceiptLogged) r.event();
    assertEquals(2, logged.seq());
    assertEquals("bob", logged.from());
    assertEquals(Receipt.of(Receipt.Kind.DELIVERED, 1), logged.receipt());
    assertTrue(e.runCommand(new UserEntity.PeerReceipt("bob", Receipt.Kind.DELIVERED, 1)).events().isEmpty());
    assertTrue(e.runCommand(new UserEntity.PeerReceipt("bob", Receipt.Kind.DELIVERED, 0)).events().isEmpty());
    // a receipt past the inbox is clamped to it (2 items when it arrives)
    var read = (UserEntity.ReceiptLogged) e.runCommand(new UserEntity.PeerReceipt("bob", Receipt.Kind.READ, 99)).event();
    assertEquals(Receipt.of(Receipt.Kind.READ, 2), read.receipt());
    assertEquals(new UserState.ReceiptMark(2, 2), e.getState().receiptsFrom("bob"));
    assertTrue(e.runCommand(new UserEntity.PeerReceipt("bob", Receipt.Kind.DELIVERED, 2)).events().isEmpty(),
        "read implies delivered");
    InboxItem item = e.getState().tail().get(e.getState().tail().size() - 1);
    assertEquals(ItemKind.READ_RECEIPT, UserEntity.kindOf(item));
    assertEquals("bob", item.conversation(me));
    e.restart();
    assertEquals(new UserState.ReceiptMark(2, 2), e.getState().receiptsFrom("bob"));
  }

  @Test
  void markReadStoresTheMarkAndSendsReadReceiptsUnlessTurnedOff() {
    var e = entity("");
    receive(e, "bob", 5, 6, 7);   // seq 1..3
    receiveInGroup(e, "g1", "dan", 40); // seq 4
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.MarkRead("phone", "bob", 2, reply)));
    assertEquals(new UserEntity.PeerReceipt(me, Receipt.Kind.READ, 6), user("bob").receiveMessage());
    assertEquals(2, e.getState().readUpTo("bob"));
    // a mark that does not move writes nothing and tells nobody
    var before = e.getState().lastSeq();
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.MarkRead("phone", "bob", 1, reply)));
    user("bob").expectNoMessage(Duration.ofMillis(50));
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.MarkRead("phone", "#g1", 4, reply)));
    assertEquals(new GroupEntity.MemberReceipt(me, Receipt.Kind.READ, 40), group("g1").receiveMessage());
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.SetPrefs(true, reply)));
    assertEquals(Done.OK, ask(e, reply -> new UserEntity.MarkRead("phone", "bob", 3, reply)));
    user("bob").expectNoMessage(Duration.ofMillis(100));
    assertEquals(3, e.getState().readUpTo("bob"), "stored even with receipts off");
    assertEquals(before, e.getState().lastSeq(), "marks are not inbox items");
    assertEquals(ErrorCode.BAD_REQUEST, ask(e, reply -> new UserEntity.MarkRead("phone", "", 3, reply)).code());
    e.restart();
    assertTrue(e.getState().readReceiptsOff());
    assertEquals(4, e.getState().readUpTo("#g1"));
  }

  @Test
  void aGroupsCountsBecomeOneReceiptItem() {
    var e = entity("");
    var counts = List.of(new Receipt.Count(3, 10, 4, 49), new Receipt.Count(5, 2, 0, 49));
    var logged = (UserEntity.ReceiptLogged) e.runCommand(new UserEntity.GroupReceiptCounts("g1", counts)).event();
    assertEquals(Receipt.group("g1", counts), logged.receipt());
    InboxItem item = e.getState().tail().get(0);
    assertEquals(ItemKind.GROUP_RECEIPT, UserEntity.kindOf(item));
    assertEquals("#g1", item.conversation(me));
  }

  // ------------------------------------------------------------------ sync filters

  @Test
  void aFilteredSyncReturnsOneConversationAndPagesByWhatItLookedAt() {
    var e = entity("");
    receive(e, "bob", 1);          // 1
    receive(e, "carol", 1, 2);     // 2, 3
    receive(e, "bob", 2);          // 4
    receiveInGroup(e, "g1", "dan", 1); // 5
    e.runCommand(new UserEntity.PeerReceipt("carol", Receipt.Kind.DELIVERED, 1)); // 6, clamped
    receive(e, "carol", 3, 4, 5);  // 7, 8, 9
    receive(e, "bob", 3);          // 10
    var sync = kit.createTestProbe(UserEntity.SyncResult.class);
    // scan max is 6: the first page looks at 1..6
    e.runCommand(new UserEntity.Sync("phone", 0, 0, sync.getRef(), new UserEntity.SyncFilter("bob", null)));
    var p1 = (UserEntity.SyncOk) sync.receiveMessage();
    assertEquals(List.of(1L, 4L), p1.items().stream().map(InboxItem::seq).toList());
    assertEquals(6, p1.syncKey());
    assertTrue(p1.hasMore());
    e.runCommand(new UserEntity.Sync("phone", p1.syncKey(), 0, sync.getRef(), new UserEntity.SyncFilter("bob", null)));
    var p2 = (UserEntity.SyncOk) sync.receiveMessage();
    assertEquals(List.of(10L), p2.items().stream().map(InboxItem::seq).toList());
    assertEquals(10, p2.syncKey());
    assertTrue(!p2.hasMore());
    // by kind, and by group
    e.runCommand(new UserEntity.Sync("phone", 0, 0, sync.getRef(),
        new UserEntity.SyncFilter("", ItemKind.DELIVERY_RECEIPT)));
    assertEquals(List.of(6L), ((UserEntity.SyncOk) sync.receiveMessage()).items().stream().map(InboxItem::seq).toList());
    e.runCommand(new UserEntity.Sync("phone", 0, 0, sync.getRef(), new UserEntity.SyncFilter("#g1", null)));
    assertEquals(List.of(5L), ((UserEntity.SyncOk) sync.receiveMessage()).items().stream().map(InboxItem::seq).toList());
    // max items stops the page at the last item it returns
    e.runCommand(new UserEntity.Sync("phone", 0, 1, sync.getRef(), new UserEntity.SyncFilter("carol", null)));
    var one = (UserEntity.SyncOk) sync.receiveMessage();
    assertEquals(List.of(2L), one.items().stream().map(InboxItem::seq).toList());
    assertEquals(2, one.syncKey());
    assertInstanceOf(UserEntity.SyncOk.class, one);
  }

  @Test
  void aFilteredSyncOfItemsOlderThanTheTailReadsTheJournal() {
    var e = entity("insync.user.tail-size = 3");
    receive(e, "bob", 1);          // 1
    receive(e, "carol", 1, 2, 3);  // 2, 3, 4
    receive(e, "bob", 2);          // 5
    receive(e, "carol", 4, 5);     // 6, 7: the tail holds 5..7
    var sync = kit.createTestProbe(UserEntity.SyncResult.class);
    e.runCommand(new UserEntity.Sync("phone", 0, 0, sync.getRef(), new UserEntity.SyncFilter("bob", null)));
    var p1 = (UserEntity.SyncOk) sync.receiveMessage(Duration.ofSeconds(10));
    assertEquals(List.of(1L, 5L), p1.items().stream().map(InboxItem::seq).toList());
    assertEquals(6, p1.syncKey(), "six items looked at (the scan max)");
    assertTrue(p1.hasMore());
    e.runCommand(new UserEntity.Sync("phone", p1.syncKey(), 0, sync.getRef(), new UserEntity.SyncFilter("bob", null)));
    var p2 = (UserEntity.SyncOk) sync.receiveMessage(Duration.ofSeconds(10));
    assertEquals(List.of(), p2.items());
    assertEquals(7, p2.syncKey());
    assertTrue(!p2.hasMore());
  }
}
