package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.PresenceProtocol.Lookup;
import io.insync.persistence.user.PresenceProtocol.PresentSession;
import io.insync.persistence.user.UserEntity.Command;
import io.insync.persistence.user.UserEntity.Connect;
import io.insync.persistence.user.UserEntity.Connected;
import io.insync.persistence.user.UserEntity.Deliver;
import io.insync.persistence.user.UserEntity.Delivery;
import io.insync.persistence.user.UserEntity.DeliveryReceipt;
import io.insync.persistence.user.UserEntity.DeviceEvent;
import io.insync.persistence.user.UserEntity.NewItems;
import io.insync.persistence.user.UserEntity.SendMessage;
import io.insync.persistence.user.UserEntity.SendResult;
import io.insync.persistence.user.UserEntity.SessionReplaced;
import io.insync.persistence.user.UserEntity.SessionsFound;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An entity that starts (fresh, or again after a restart) learns its user's connected sessions
 * from the nodes' presence directories (two probes here), registers them with the rule Connect
 * uses, and pushes each the latest seq at once.
 */
class UserEntityPresenceTest {
  static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  final TestProbe<Lookup> nodeA = kit.createTestProbe(Lookup.class);
  final TestProbe<Lookup> nodeB = kit.createTestProbe(Lookup.class);
  final TestProbe<Command> others = kit.createTestProbe(Command.class);
  EventSourcedBehaviorTestKit<Command, UserEntity.Event, UserState> alice;
  String aliceId;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    aliceId = "alice-" + UUID.randomUUID();
    var readJournal = PersistenceQuery.get(kit.system())
        .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
    var deps = new UserEntity.Deps(UserSettings.fromConfig(kit.system().settings().config()), user -> others.getRef(),
        readJournal, UserEntity.PendingDeliveries.NONE, () -> List.of(nodeA.getRef(), nodeB.getRef()));
    alice = EventSourcedBehaviorTestKit.create(kit.system(), UserEntity.create(aliceId, deps),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
  }

  private Lookup lookupOf(TestProbe<Lookup> node) {
    Lookup l = node.expectMessageClass(Lookup.class);
    assertEquals(aliceId, l.user());
    return l;
  }

  private void note(String id) {
    var reply = kit.createTestProbe(SendResult.class);
    alice.runCommand(new SendMessage("pc", id, aliceId, MessageContent.text("x"), reply.getRef()));
    reply.receiveMessage();
  }

  private void deliverFromBob(long senderSeq) {
    var receipt = kit.createTestProbe(DeliveryReceipt.class);
    alice.runCommand(new Deliver("bob", List.of(new Delivery(senderSeq, "b", "x" + senderSeq,
        MessageContent.text("hey"), 5)), receipt.getRef()));
    receipt.receiveMessage();
  }

  @Test
  void aFreshEntityRegistersTheSessionsEveryNodeReportsAndPushesTheLatestSeq() {
    Lookup a = lookupOf(nodeA);
    Lookup b = lookupOf(nodeB);
    // an item is persisted while the lookups are in flight: no session knows of it yet
    note("m1");
    var phone = kit.createTestProbe(DeviceEvent.class);
    var tablet = kit.createTestProbe(DeviceEvent.class);
    a.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("phone", phone.getRef(), 10L))));
    b.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("tablet", tablet.getRef(), 11L))));
    // ... and each found session is told at once, so that item is not missed
    assertEquals(1, assertInstanceOf(NewItems.class, phone.receiveMessage()).latestSeq());
    assertEquals(1, assertInstanceOf(NewItems.class, tablet.receiveMessage()).latestSeq());
    // both are registered: a new item reaches both
    deliverFromBob(1);
    assertEquals(2, assertInstanceOf(NewItems.class, phone.receiveMessage()).latestSeq());
    assertEquals(2, assertInstanceOf(NewItems.class, tablet.receiveMessage()).latestSeq());
    var status = kit.createTestProbe(UserEntity.Status.class);
    alice.runCommand(new UserEntity.GetStatus(status.getRef()));
    assertEquals(List.of("phone", "tablet"), status.receiveMessage().onlineDevices());
  }

  @Test
  void aRestartedEntityAsksAgainAndLearnsItsSessions() {
    lookupOf(nodeA).replyTo().tell(new SessionsFound(aliceId, List.of()));
    lookupOf(nodeB).replyTo().tell(new SessionsFound(aliceId, List.of()));
    note("m1");
    note("m2");
    alice.restart();
    Lookup again = lookupOf(nodeA);
    lookupOf(nodeB);
    var phone = kit.createTestProbe(DeviceEvent.class);
    again.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("phone", phone.getRef(), 10L))));
    assertEquals(2, assertInstanceOf(NewItems.class, phone.receiveMessage()).latestSeq());
    note("m3");
    assertEquals(3, assertInstanceOf(NewItems.class, phone.receiveMessage()).latestSeq());
  }

  @Test
  void aStaleRegistrationFromADirectoryLosesToTheNewerSessionOfTheDevice() {
    Lookup a = lookupOf(nodeA);
    Lookup b = lookupOf(nodeB);
    var newer = kit.createTestProbe(DeviceEvent.class);
    var connected = kit.createTestProbe(Connected.class);
    alice.runCommand(new Connect("phone", newer.getRef(), 2_000L, connected.getRef()));
    connected.receiveMessage();
    // node A still lists the device's older session (it is closing there)
    var older = kit.createTestProbe(DeviceEvent.class);
    a.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("phone", older.getRef(), 1_000L))));
    assertEquals(new SessionReplaced(aliceId, "phone"), older.receiveMessage());
    older.expectNoMessage(Duration.ofMillis(100));
    // node B lists the newer one again: it stays registered, not replaced, and is not pushed again
    // (it registered itself and got the latest seq in its Connected)
    b.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("phone", newer.getRef(), 2_000L))));
    newer.expectNoMessage(Duration.ofMillis(100));
    deliverFromBob(1);
    assertEquals(1, assertInstanceOf(NewItems.class, newer.receiveMessage()).latestSeq());
    older.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aNewerSessionFromADirectoryReplacesTheRegisteredOlderOne() {
    Lookup a = lookupOf(nodeA);
    var older = kit.createTestProbe(DeviceEvent.class);
    var connected = kit.createTestProbe(Connected.class);
    alice.runCommand(new Connect("phone", older.getRef(), 1_000L, connected.getRef()));
    connected.receiveMessage();
    var newer = kit.createTestProbe(DeviceEvent.class);
    a.replyTo().tell(new SessionsFound(aliceId, List.of(new PresentSession("phone", newer.getRef(), 2_000L))));
    assertEquals(new SessionReplaced(aliceId, "phone"), older.receiveMessage());
    assertInstanceOf(NewItems.class, newer.receiveMessage());
    deliverFromBob(1);
    assertInstanceOf(NewItems.class, newer.receiveMessage());
    older.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void sessionsReportedForAnotherUserAreNotRegistered() {
    Lookup a = lookupOf(nodeA);
    var stranger = kit.createTestProbe(DeviceEvent.class);
    a.replyTo().tell(new SessionsFound("mallory", List.of(new PresentSession("phone", stranger.getRef(), 1L))));
    deliverFromBob(1);
    stranger.expectNoMessage(Duration.ofMillis(200));
    var status = kit.createTestProbe(UserEntity.Status.class);
    alice.runCommand(new UserEntity.GetStatus(status.getRef()));
    assertTrue(status.receiveMessage().onlineDevices().isEmpty());
  }
}
