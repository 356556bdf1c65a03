package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.UserEntity.Command;
import io.insync.persistence.user.UserEntity.Deliver;
import io.insync.persistence.user.UserEntity.Delivery;
import io.insync.persistence.user.UserEntity.DeliveryReceipt;
import io.insync.persistence.user.UserEntity.SendAccepted;
import io.insync.persistence.user.UserEntity.SendMessage;
import io.insync.persistence.user.UserEntity.SendRejected;
import io.insync.persistence.user.UserEntity.SendResult;
import io.insync.persistence.user.UserEntity.Sync;
import io.insync.persistence.user.UserEntity.SyncOk;
import io.insync.persistence.user.UserEntity.SyncResult;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit (WriteBatcher): what arrives while a write is in flight is written as one batch
 * when it completes, with the same answers, order and dedup as one command at a time. Each test
 * holds the entity's first write in the journal until everything is queued, so the batch it
 * checks is certain, not a matter of timing.
 */
class UserEntityBatchTest {

  static final ActorTestKit kit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString("""
              insync.user.max-pending-per-recipient = 3
              insync.user.max-pending-total = 10
              insync.user.write-batch-max-events = 20
              pekko.actor.serialize-messages = off
              """))
          .withFallback(ConfigFactory.load()));

  static final PersistenceTestKit journal = PersistenceTestKit.create(kit.system());

  final Map<String, TestProbe<Command>> others = new ConcurrentHashMap<>();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void resetPolicy() {
    journal.resetPolicy();
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

  /** Holds the first write of one persistence id until released; records every write's size. */
  static final class HoldFirstWrite implements ProcessingPolicy<JournalOperation> {
    final String pid;
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch holding = new CountDownLatch(1);
    final List<Integer> writes = new CopyOnWriteArrayList<>();

    HoldFirstWrite(String pid) {
      this.pid = pid;
    }

    @Override
    public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
      if (persistenceId.equals(pid) && op instanceof WriteEvents w) {
        writes.add(w.batch().size());
        if (writes.size() == 1) {
          holding.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
      return ProcessingSuccess.getInstance();
    }

    void awaitHolding() throws InterruptedException {
      assertTrue(holding.await(10, TimeUnit.SECONDS), "the first write never reached the journal");
    }
  }

  static SendMessage send(String cmid, String to, ActorRef<SendResult> replyTo) {
    return new SendMessage("d1", cmid, to, MessageContent.text("text of " + cmid), replyTo);
  }

  static List<InboxItem> inbox(ActorRef<Command> user) {
    TestProbe<SyncResult> r = kit.createTestProbe(SyncResult.class);
    user.tell(new Sync("d1", 0, 0, r.getRef()));
    return ((SyncOk) r.receiveMessage(Duration.ofSeconds(5))).items();
  }

  @Test
  void sendsQueuedDuringAWriteAreWrittenTogetherInOrderEachAckedWithItsSeq() throws Exception {
    String id = "u-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    HoldFirstWrite policy = new HoldFirstWrite(UserEntity.persistenceId(id).id());
    journal.withPolicy(policy);
    List<TestProbe<SendResult>> replies = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      TestProbe<SendResult> r = kit.createTestProbe(SendResult.class);
      replies.add(r);
      user.tell(send("m" + i, id, r.getRef())); // notes to self: acked once written
      if (i == 1) policy.awaitHolding();
    }
    policy.release.countDown();
    for (int i = 1; i <= 30; i++) {
      SendAccepted ack = (SendAccepted) replies.get(i - 1).receiveMessage(Duration.ofSeconds(5));
      assertEquals("m" + i, ack.clientMsgId());
      assertEquals(i, ack.seq());
    }
    // one write for the first, then the 29 held back in batches of at most 20 events
    assertEquals(List.of(1, 20, 9), policy.writes);
    List<InboxItem> items = inbox(user);
    assertEquals(30, items.size());
    for (int i = 1; i <= 30; i++) {
      assertEquals(i, items.get(i - 1).seq());
      assertEquals("m" + i, items.get(i - 1).clientMsgId());
    }
  }

  @Test
  void aRetryHeldInTheSameBatchAsItsFirstAttemptIsOneMessageWithOneSeq() throws Exception {
    String id = "u-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    HoldFirstWrite policy = new HoldFirstWrite(UserEntity.persistenceId(id).id());
    journal.withPolicy(policy);
    TestProbe<SendResult> r0 = kit.createTestProbe(SendResult.class);
    user.tell(send("first", id, r0.getRef()));
    policy.awaitHolding();
    TestProbe<SendResult> a = kit.createTestProbe(SendResult.class);
    TestProbe<SendResult> b = kit.createTestProbe(SendResult.class);
    user.tell(send("dup", id, a.getRef()));
    user.tell(send("dup", id, b.getRef()));
    policy.release.countDown();
    assertEquals(1, ((SendAccepted) r0.receiveMessage(Duration.ofSeconds(5))).seq());
    assertEquals(2, ((SendAccepted) a.receiveMessage(Duration.ofSeconds(5))).seq());
    assertEquals(2, ((SendAccepted) b.receiveMessage(Duration.ofSeconds(5))).seq());
    assertEquals(List.of("first", "dup"), inbox(user).stream().map(InboxItem::clientMsgId).toList());
    assertEquals(List.of(1, 1), policy.writes);
  }

  @Test
  void pendingBoundsCountWhatTheBatchHasStaged() throws Exception {
    String id = "u-" + UUID.randomUUID();
    String bob = "bob-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    HoldFirstWrite policy = new HoldFirstWrite(UserEntity.persistenceId(id).id());
    journal.withPolicy(policy);
    TestProbe<SendResult> note = kit.createTestProbe(SendResult.class);
    user.tell(send("note", id, note.getRef()));
    policy.awaitHolding();
    List<TestProbe<SendResult>> replies = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      TestProbe<SendResult> r = kit.createTestProbe(SendResult.class);
      replies.add(r);
      user.tell(send("to-bob-" + i, bob, r.getRef()));
    }
    policy.release.countDown();
    // at most 3 pending to one recipient: the 4th and 5th are refused, nothing written for them
    for (int i = 4; i <= 5; i++) {
      SendRejected no = (SendRejected) replies.get(i - 1).receiveMessage(Duration.ofSeconds(5));
      assertEquals(ErrorCode.RATE_LIMITED, no.code());
    }
    Deliver d = (Deliver) other(bob).receiveMessage(Duration.ofSeconds(5));
    assertEquals(List.of("to-bob-1", "to-bob-2", "to-bob-3"), d.items().stream().map(Delivery::clientMsgId).toList());
    d.replyTo().tell(new DeliveryReceipt(bob, d.items().get(2).senderSeq()));
    for (int i = 1; i <= 3; i++) {
      assertEquals("to-bob-" + i, ((SendAccepted) replies.get(i - 1).receiveMessage(Duration.ofSeconds(5))).clientMsgId());
    }
    assertEquals(List.of(1, 3), policy.writes);
  }

  @Test
  void deliveriesFromManySendersQueuedDuringAWriteAreOneWriteAndARepeatIsAppendedOnce() throws Exception {
    String id = "u-" + UUID.randomUUID();
    ActorRef<Command> user = spawn(id);
    HoldFirstWrite policy = new HoldFirstWrite(UserEntity.persistenceId(id).id());
    journal.withPolicy(policy);
    TestProbe<DeliveryReceipt> r0 = kit.createTestProbe(DeliveryReceipt.class);
    user.tell(new Deliver("s0", List.of(new Delivery(1, "x", "c0", MessageContent.text("0"), 1)), r0.getRef()));
    policy.awaitHolding();
    List<TestProbe<DeliveryReceipt>> receipts = new ArrayList<>();
    for (int s = 1; s <= 4; s++) {
      TestProbe<DeliveryReceipt> r = kit.createTestProbe(DeliveryReceipt.class);
      receipts.add(r);
      user.tell(new Deliver("s" + s, List.of(new Delivery(1, "x", "c" + s + "a", MessageContent.text("a"), 1),
          new Delivery(2, "x", "c" + s + "b", MessageContent.text("b"), 2)), r.getRef()));
    }
    // a sender's retry of the same batch (its receipt was slow), held in the same batch
    TestProbe<DeliveryReceipt> repeat = kit.createTestProbe(DeliveryReceipt.class);
    user.tell(new Deliver("s1", List.of(new Delivery(1, "x", "c1a", MessageContent.text("a"), 1),
        new Delivery(2, "x", "c1b", MessageContent.text("b"), 2)), repeat.getRef()));
    policy.release.countDown();
    assertEquals(1, r0.receiveMessage(Duration.ofSeconds(5)).upToSenderSeq());
    for (TestProbe<DeliveryReceipt> r : receipts) assertEquals(2, r.receiveMessage(Duration.ofSeconds(5)).upToSenderSeq());
    assertEquals(2, repeat.receiveMessage(Duration.ofSeconds(5)).upToSenderSeq());
    assertEquals(List.of(1, 8), policy.writes);
    List<InboxItem> items = inbox(user);
    assertEquals(9, items.size());
    assertEquals(List.of("c0", "c1a", "c1b", "c2a", "c2b", "c3a", "c3b", "c4a", "c4b"),
        items.stream().map(InboxItem::clientMsgId).toList());
    assertInstanceOf(InboxItem.class, items.get(8));
  }
}
