package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.UserEntity.Command;
import io.insync.persistence.user.UserEntity.Deliver;
import io.insync.persistence.user.UserEntity.DeliveryReceipt;
import io.insync.persistence.user.UserEntity.SendAccepted;
import io.insync.persistence.user.UserEntity.SendMessage;
import io.insync.persistence.user.UserEntity.SendResult;
import io.insync.persistence.user.UserEntity.Sync;
import io.insync.persistence.user.UserEntity.SyncOk;
import io.insync.persistence.user.UserEntity.SyncResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.query.PersistenceQuery;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.ReadEvents;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Journal failures (a failed write, a failed recovery) must leave the user serving again after a
 * short backoff, from a clean state, with nothing acked lost (issue 5, item 1).
 */
class UserEntityRestartTest {

  static final ActorTestKit kit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString("""
              insync.user.delivery-timeout = 300ms
              insync.user.retry-min = 50ms
              insync.user.retry-max = 200ms
              insync.user.restart-min = 50ms
              insync.user.restart-max = 300ms
              insync.user.outbound-dedup-window = 3
              pekko.actor.serialize-messages = off
              """))
          .withFallback(ConfigFactory.load()));

  static final PersistenceTestKit journal = PersistenceTestKit.create(kit.system());

  final Map<String, TestProbe<Command>> others = new ConcurrentHashMap<>();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  TestProbe<Command> other(String user) {
    return others.computeIfAbsent(user, u -> kit.createTestProbe(Command.class));
  }

  ActorRef<Command> spawn(String id) {
    UserRefs refs = user -> other(user).getRef();
    var readJournal = PersistenceQuery.get(kit.system())
        .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
    var deps = new UserEntity.Deps(UserSettings.fromConfig(kit.system().settings().config()), refs, readJournal);
    return kit.spawn(UserEntity.create(id, deps));
  }

  static SendResult send(ActorRef<Command> user, String cmid, String to, Duration wait) {
    TestProbe<SendResult> reply = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", cmid, to, MessageContent.text(cmid), reply.getRef()));
    return reply.receiveMessage(wait);
  }

  /** Sends until one is accepted (the entity may be in its restart backoff); returns the ack. */
  static SendAccepted sendUntilAccepted(ActorRef<Command> user, String cmid, String to) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    AssertionError last = null;
    while (System.nanoTime() < deadline) {
      try {
        return (SendAccepted) send(user, cmid, to, Duration.ofSeconds(1));
      } catch (AssertionError e) {
        last = e; // no answer within a second: retry with the same client_msg_id, as clients do
      }
    }
    throw new AssertionError("user never served again", last);
  }

  static List<InboxItem> inbox(ActorRef<Command> user) {
    TestProbe<SyncResult> r = kit.createTestProbe(SyncResult.class);
    user.tell(new Sync("d1", 0, 0, r.getRef()));
    return ((SyncOk) r.receiveMessage(Duration.ofSeconds(5))).items();
  }

  /** Fails the next write of one persistence id, then its next replay; passes everything else. */
  static final class FailWriteThenRead implements ProcessingPolicy<JournalOperation> {
    private final String pid;
    private final AtomicInteger stage = new AtomicInteger();

    FailWriteThenRead(String pid) {
      this.pid = pid;
    }

    @Override
    public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
      if (!persistenceId.equals(pid)) return ProcessingSuccess.getInstance();
      if (op instanceof WriteEvents && stage.compareAndSet(0, 1)) return StorageFailure.create();
      if (op instanceof ReadEvents && stage.compareAndSet(1, 2)) return StorageFailure.create();
      return ProcessingSuccess.getInstance();
    }
  }

  @Test
  void afterAFailedWriteAndAFailedRecoveryNothingAckedIsLost() {
    String id = "u-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    for (int i = 1; i <= 3; i++) assertEquals(i, sendUntilAccepted(user, "m" + i, id).seq());
    // the next write fails, and so does the replay of the recovery after the first restart
    journal.withPolicy(new FailWriteThenRead(UserEntity.persistenceId(id).id()));
    TestProbe<SendResult> lost = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "m4", id, MessageContent.text("m4"), lost.getRef()));
    lost.expectNoMessage(Duration.ofMillis(300));
    // the client retries m4, then sends m5: both served, in order, after the restarts
    assertEquals(4, sendUntilAccepted(user, "m4", id).seq());
    assertEquals(5, sendUntilAccepted(user, "m5", id).seq());
    assertEquals(List.of("m1", "m2", "m3", "m4", "m5"),
        inbox(user).stream().map(InboxItem::clientMsgId).toList());
    journal.resetPolicy();
  }

  @Test
  void aDeliveryThatWasInFlightDuringTheFailureIsResumedAfterTheRestart() {
    String id = "u-" + UUID.randomUUID();
    String bob = "bob-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    TestProbe<SendResult> reply = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "m1", bob, MessageContent.text("hi"), reply.getRef()));
    Deliver first = (Deliver) other(bob).receiveMessage(Duration.ofSeconds(3));
    // a write fails while that delivery is in flight (a self-note, not the delivery)
    journal.failNextPersisted(UserEntity.persistenceId(id).id());
    TestProbe<SendResult> note = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "n1", id, MessageContent.text("n"), note.getRef()));
    // the old incarnation's receipt arrives late: it must not confuse the new one
    first.replyTo().tell(new DeliveryReceipt(bob, 1));
    // the new incarnation resumes delivery of m1 by itself (recovery)
    Deliver again = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (again == null && System.nanoTime() < deadline) {
      Command c = other(bob).receiveMessage(Duration.ofSeconds(5));
      if (c instanceof Deliver d) again = d;
    }
    assertInstanceOf(Deliver.class, again);
    assertEquals(1, again.items().get(0).senderSeq());
    again.replyTo().tell(new DeliveryReceipt(bob, 1));
    // the client's retry of m1 is acked with m1's seq; the next message goes through too
    assertEquals(1, sendUntilAccepted(user, "m1", bob).seq());
    TestProbe<SendResult> r2 = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "m2", bob, MessageContent.text("2"), r2.getRef()));
    Deliver d2 = null;
    while (d2 == null) {
      Command c = other(bob).receiveMessage(Duration.ofSeconds(5));
      if (c instanceof Deliver d && d.items().stream().anyMatch(x -> x.clientMsgId().equals("m2"))) d2 = d;
    }
    d2.replyTo().tell(new DeliveryReceipt(bob, d2.items().get(d2.items().size() - 1).senderSeq()));
    SendAccepted ack2 = (SendAccepted) r2.receiveMessage(Duration.ofSeconds(5));
    assertEquals("m2", ack2.clientMsgId());
  }

  @Test
  void aRetryOfAPendingSendAfterManyOtherSendsIsStillDeduplicated() {
    String id = "u-" + UUID.randomUUID();
    String bob = "bob-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    TestProbe<SendResult> first = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "keep-me", bob, MessageContent.text("hi"), first.getRef()));
    Deliver d = (Deliver) other(bob).receiveMessage(Duration.ofSeconds(3)); // bob does not confirm yet
    for (int i = 0; i < 6; i++) sendUntilAccepted(user, "note" + i, id); // twice the window of 3
    TestProbe<SendResult> retry = kit.createTestProbe(SendResult.class);
    user.tell(new SendMessage("d1", "keep-me", bob, MessageContent.text("hi"), retry.getRef()));
    retry.expectNoMessage(Duration.ofMillis(200)); // waits for bob, as the first attempt does
    Deliver again = null;
    while (again == null) {
      Command c = other(bob).receiveMessage(Duration.ofSeconds(3));
      if (c instanceof Deliver x) again = x;
    }
    assertEquals(List.of(1L), again.items().stream().map(UserEntity.Delivery::senderSeq).toList(), "no second message");
    again.replyTo().tell(new DeliveryReceipt(bob, 1));
    assertEquals(1, ((SendAccepted) retry.receiveMessage(Duration.ofSeconds(3))).seq());
    assertEquals(7, inbox(user).size(), "one keep-me and six notes");
  }
}
