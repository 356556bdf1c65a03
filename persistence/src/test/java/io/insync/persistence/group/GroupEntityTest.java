package io.insync.persistence.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.group.GroupEntity.Command;
import io.insync.persistence.group.GroupEntity.Info;
import io.insync.persistence.group.GroupEntity.Manage;
import io.insync.persistence.group.GroupEntity.Refused;
import io.insync.persistence.group.GroupEntity.Reply;
import io.insync.persistence.user.GroupTag;
import io.insync.persistence.user.GroupTag.Action;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.persistence.user.UserSettings;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The group entity's rules and its fan-out, with member entities as probes (in-memory journal). */
class GroupEntityTest {

  static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(ConfigFactory.parseString("""
              insync.user.delivery-timeout = 300ms
              insync.user.retry-min = 50ms
              insync.user.retry-max = 200ms
              insync.group.max-members = 5
              insync.group.cursor-flush = 100ms
              insync.group.receipt-flush = 100ms
              """))
          .withFallback(ConfigFactory.load()));

  final Map<String, TestProbe<UserEntity.Command>> members = new ConcurrentHashMap<>();
  final List<String> keeperTold = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  EventSourcedBehaviorTestKit<Command, GroupEntity.Event, GroupState> group(String id) {
    UserRefs refs = u -> member(u).getRef();
    var config = kit.system().settings().config();
    var deps = new GroupEntity.Deps(GroupSettings.fromConfig(config), UserSettings.fromConfig(config), refs,
        keeperTold::add);
    return EventSourcedBehaviorTestKit.create(kit.system(), GroupEntity.create(id, deps),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
  }

  TestProbe<UserEntity.Command> member(String u) {
    return members.computeIfAbsent(u, x -> kit.createTestProbe(UserEntity.Command.class));
  }

  static Reply manage(EventSourcedBehaviorTestKit<Command, GroupEntity.Event, GroupState> g, String by, Action a,
      String... who) {
    return g.<Reply>runCommand(r -> new Manage(by, a, List.of(who), "team", r)).reply();
  }

  static UserEntity.SendResult post(EventSourcedBehaviorTestKit<Command, GroupEntity.Event, GroupState> g,
      String by, String cmid) {
    return g.<UserEntity.SendResult>runCommand(r ->
        new GroupEntity.Post(by, "phone", cmid, MessageContent.text("hi " + cmid), r)).reply();
  }

  /** Confirms whatever the member's probe got (a batch) and returns it. */
  static UserEntity.Deliver confirmNext(TestProbe<UserEntity.Command> p) {
    UserEntity.Deliver d = p.expectMessageClass(UserEntity.Deliver.class, Duration.ofSeconds(5));
    long upTo = d.items().get(d.items().size() - 1).senderSeq();
    d.replyTo().tell(new UserEntity.DeliveryReceipt("x", upTo));
    return d;
  }

  @Test
  void membershipRulesOwnerAdminsAndMembers() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    assertEquals(ErrorCode.NOT_FOUND, ((Refused) manage(g, "ann", Action.JOINED, "bob")).code());
    Info created = (Info) manage(g, "ann", Action.CREATED, "bob", "cy");
    assertEquals(List.of("ann", "bob", "cy"), created.members());
    assertEquals("ann", created.owner());
    // a retried create by the owner is answered the same, writes nothing; anyone else is refused
    assertEquals(created, manage(g, "ann", Action.CREATED, "bob", "cy"));
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) manage(g, "bob", Action.CREATED)).code());
    // only owner and admins add; only the owner names admins
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) manage(g, "bob", Action.JOINED, "dan")).code());
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) manage(g, "bob", Action.ADMIN_ADDED, "bob")).code());
    assertEquals(List.of("bob"), ((Info) manage(g, "ann", Action.ADMIN_ADDED, "bob")).admins());
    assertEquals(4, ((Info) manage(g, "bob", Action.JOINED, "dan")).members().size());
    // an admin may not remove the owner or another admin; the owner cannot leave before handing over
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) manage(g, "bob", Action.REMOVED, "ann")).code());
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) manage(g, "ann", Action.LEFT)).code());
    // the size limit (5 here) is a clear error naming the setting
    Refused full = (Refused) manage(g, "ann", Action.JOINED, "eve", "fay");
    assertEquals(ErrorCode.LIMIT_EXCEEDED, full.code());
    assertTrue(full.reason().contains("max-members"), full.reason());
    // hand over: the old owner becomes an admin and may then leave
    Info handed = (Info) manage(g, "ann", Action.OWNER_CHANGED, "cy");
    assertEquals("cy", handed.owner());
    assertTrue(handed.admins().contains("ann"));
    Info left = (Info) manage(g, "ann", Action.LEFT);
    assertEquals(List.of("bob", "cy", "dan"), left.members());
    // non-members may not post or read the membership
    UserEntity.SendRejected refused = assertInstanceOf(UserEntity.SendRejected.class, post(g, "ann", "m1"));
    assertEquals(ErrorCode.FORBIDDEN, refused.code());
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) g.<Reply>runCommand(r -> new GroupEntity.GetInfo("ann", r)).reply()).code());
    // the state survives a restart (events and the state's stored form)
    g.restart();
    assertEquals(left, g.<Reply>runCommand(r -> new GroupEntity.GetInfo("bob", r)).reply());
  }

  @Test
  void aPostIsLoggedOnceAckedAndFannedOutToEveryMemberInGroupOrder() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    manage(g, "ann", Action.CREATED, "bob");
    // the creation entry reaches both
    for (String m : List.of("ann", "bob")) {
      UserEntity.Deliver d = confirmNext(member(m));
      assertEquals(id, d.group());
      assertEquals(Action.CREATED, d.items().get(0).group().action());
      assertEquals(1, d.items().get(0).senderSeq());
    }
    var first = assertInstanceOf(UserEntity.SendAccepted.class, post(g, "bob", "m1"));
    assertEquals(2, first.seq());
    // a retry is the same post, not a second one
    assertEquals(first, post(g, "bob", "m1"));
    post(g, "ann", "m2");
    for (String m : List.of("ann", "bob")) {
      List<Long> seqs = new ArrayList<>();
      List<String> from = new ArrayList<>();
      while (seqs.size() < 2) {
        for (UserEntity.Delivery d : confirmNext(member(m)).items()) {
          seqs.add(d.senderSeq());
          from.add(d.from());
        }
      }
      assertEquals(List.of(2L, 3L), seqs, m + " gets the group's order");
      assertEquals(List.of("bob", "ann"), from);
    }
  }

  @Test
  void aSlowMemberDelaysOnlyItsOwnCopyAndIsRetried() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    manage(g, "ann", Action.CREATED, "bob", "cy");
    // cy never answers its first batch; the others get theirs and the next post at once
    member("cy").expectMessageClass(UserEntity.Deliver.class);
    confirmNext(member("ann"));
    confirmNext(member("bob"));
    post(g, "ann", "m1");
    assertEquals(2, confirmNext(member("ann")).items().get(0).senderSeq());
    assertEquals(2, confirmNext(member("bob")).items().get(0).senderSeq());
    // cy's batch timed out (300 ms): asked again from its position, now with both entries
    UserEntity.Deliver again = confirmNext(member("cy"));
    assertEquals(1, again.items().get(0).senderSeq());
    assertTrue(keeperTold.contains(id), "the keeper is told while a copy is on its way");
  }

  @Test
  void aRemovedMemberGetsItsRemovalAndNothingAfter() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    manage(g, "ann", Action.CREATED, "bob");
    confirmNext(member("ann"));
    confirmNext(member("bob"));
    manage(g, "ann", Action.REMOVED, "bob");
    UserEntity.Deliver removal = confirmNext(member("bob"));
    assertEquals(Action.REMOVED, removal.items().get(0).group().action());
    assertEquals(List.of("bob"), removal.items().get(0).group().members());
    confirmNext(member("ann"));
    post(g, "ann", "after");
    confirmNext(member("ann"));
    member("bob").expectNoMessage(Duration.ofMillis(500));
    assertEquals(ErrorCode.FORBIDDEN, ((UserEntity.SendRejected) post(g, "bob", "x")).code());
  }

  @Test
  void afterARestartTheFanOutResumesFromTheSavedPositions() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    manage(g, "ann", Action.CREATED, "bob");
    confirmNext(member("ann"));
    confirmNext(member("bob"));
    // positions saved (cursor-flush 100 ms): wait until the state says so
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (g.getState().log().size() > 0 && System.nanoTime() < until) Thread.onSpinWait();
    assertEquals(0, g.getState().log().size(), "every recipient confirmed the creation: the log is trimmed");
    post(g, "ann", "m1");
    member("ann").expectMessageClass(UserEntity.Deliver.class); // not confirmed: lost with the incarnation
    confirmNext(member("bob"));
    g.restart();
    // ann gets m1 again (its entity dedups by the group seq); nothing older
    UserEntity.Deliver again = confirmNext(member("ann"));
    assertEquals(2, again.items().get(0).senderSeq());
    assertEquals(new GroupTag(id, Action.MESSAGE, List.of(), ""), again.items().get(0).group());
  }

  /** The next GroupReceiptCounts the member's entity gets (deliveries to it are skipped). */
  static UserEntity.GroupReceiptCounts nextCounts(TestProbe<UserEntity.Command> p) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < deadline) {
      UserEntity.Command c = p.receiveMessage(Duration.ofSeconds(5));
      if (c instanceof UserEntity.GroupReceiptCounts counts) return counts;
    }
    throw new AssertionError("no receipt counts");
  }

  @Test
  void membersReceiptsAreCountedForTheSenderAndShownOnlyToIt() {
    String id = "g-" + UUID.randomUUID();
    var g = group(id);
    manage(g, "ann", Action.CREATED, "bob", "cy", "dan");           // seq 1
    assertInstanceOf(UserEntity.SendAccepted.class, post(g, "ann", "m1")); // seq 2
    assertInstanceOf(UserEntity.SendAccepted.class, post(g, "bob", "m2")); // seq 3
    g.runCommand(new GroupEntity.MemberReceipt("bob", io.insync.persistence.user.Receipt.Kind.DELIVERED, 3));
    g.runCommand(new GroupEntity.MemberReceipt("cy", io.insync.persistence.user.Receipt.Kind.READ, 2));
    g.runCommand(new GroupEntity.MemberReceipt("dan", io.insync.persistence.user.Receipt.Kind.DELIVERED, 2));
    g.runCommand(new GroupEntity.MemberReceipt("zed", io.insync.persistence.user.Receipt.Kind.READ, 3)); // not a member
    UserEntity.GroupReceiptCounts forAnn = nextCounts(member("ann"));
    assertEquals(id, forAnn.group());
    // m1 went to bob, cy, dan: all three have it, cy read it
    assertEquals(List.of(new io.insync.persistence.user.Receipt.Count(2, 3, 1, 3)), forAnn.counts());
    UserEntity.GroupReceiptCounts forBob = nextCounts(member("bob"));
    assertEquals(List.of(new io.insync.persistence.user.Receipt.Count(3, 0, 0, 3)), forBob.counts());
    Reply receipts = g.<Reply>runCommand(r -> new GroupEntity.GetReceipts("ann", 2, r)).reply();
    assertEquals(new GroupEntity.Receipts(id, 2, 3, List.of("bob", "cy", "dan"), List.of("cy")), receipts);
    assertEquals(ErrorCode.FORBIDDEN, ((Refused) g.<Reply>runCommand(r -> new GroupEntity.GetReceipts("bob", 2, r))
        .reply()).code());
    assertEquals(ErrorCode.NOT_FOUND, ((Refused) g.<Reply>runCommand(r -> new GroupEntity.GetReceipts("ann", 1, r))
        .reply()).code());
    // dan reads m1: only m1's sender hears of it (m2's counts did not move)
    g.runCommand(new GroupEntity.MemberReceipt("dan", io.insync.persistence.user.Receipt.Kind.READ, 2));
    assertEquals(List.of(new io.insync.persistence.user.Receipt.Count(2, 3, 2, 3)), nextCounts(member("ann")).counts());
    long quietUntil = System.nanoTime() + Duration.ofMillis(400).toNanos();
    while (System.nanoTime() < quietUntil) {
      try {
        UserEntity.Command m = member("bob").receiveMessage(Duration.ofMillis(50));
        assertTrue(!(m instanceof UserEntity.GroupReceiptCounts), "bob told again: " + m);
      } catch (AssertionError quiet) {
        if (quiet.getMessage() != null && quiet.getMessage().startsWith("bob told again")) throw quiet;
      }
    }
    receipts = g.<Reply>runCommand(r -> new GroupEntity.GetReceipts("ann", 2, r)).reply();
    // a receipt that moves nothing is not counted again
    g.runCommand(new GroupEntity.MemberReceipt("dan", io.insync.persistence.user.Receipt.Kind.DELIVERED, 1));
    // saved: the counts survive a restart
    g.restart();
    assertEquals(receipts, g.<Reply>runCommand(r -> new GroupEntity.GetReceipts("ann", 2, r)).reply());
  }
}
