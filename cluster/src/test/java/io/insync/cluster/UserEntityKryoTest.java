package io.insync.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserEntity.Command;
import io.insync.persistence.user.UserRefs;
import io.insync.persistence.user.UserSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * User entities talking to each other and to sessions with every message serialized by the real
 * Kryo binding ({@code serialize-messages = on}), as if each hop crossed nodes: 64 KiB binary
 * messages, byte-cut sync pages from the tail and from the journal, inline pushes.
 */
class UserEntityKryoTest {

  static final ActorTestKit kit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString("""
              pekko.actor.serialize-messages = on
              pekko.actor.no-serialization-verification-needed-class-prefix = []
              insync.user.tail-size = 16
              insync.user.tail-max-bytes = 4 MiB
              insync.user.delivery-timeout = 2s
              """))
          .withFallback(ConfigFactory.load()));

  static final Map<String, ActorRef<Command>> users = new ConcurrentHashMap<>();
  static final UserRefs refs = id -> users.computeIfAbsent(id, UserEntityKryoTest::spawn);

  static ActorRef<Command> spawn(String id) {
    var readJournal = PersistenceQuery.get(kit.system())
        .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
    var deps = new UserEntity.Deps(UserSettings.fromConfig(kit.system().settings().config()), refs, readJournal);
    return kit.spawn(UserEntity.create(id, deps), "user-" + id);
  }

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static byte[] binary(int n, int salt) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + salt);
    return b;
  }

  @Test
  void bigBinaryMessagesAndByteCutPagesSurviveKryoOnEveryHop() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String alice = "alice-" + run;
    String bob = "bob-" + run;
    TestProbe<UserEntity.DeviceEvent> bobSession = kit.createTestProbe(UserEntity.DeviceEvent.class);
    TestProbe<UserEntity.Connected> connected = kit.createTestProbe(UserEntity.Connected.class);
    refs.user(bob).tell(new UserEntity.Connect("phone", bobSession.getRef(), 1L, connected.getRef()));
    connected.receiveMessage(Duration.ofSeconds(5));

    int n = 24;
    int size = 64 * 1024 - 16; // 64 KiB of content, with the type
    TestProbe<UserEntity.SendResult> acks = kit.createTestProbe(UserEntity.SendResult.class);
    for (int i = 0; i < n; i++) {
      refs.user(alice).tell(new UserEntity.SendMessage("laptop", "m" + i, bob,
          new MessageContent("", binary(size, i), "bin"), acks.getRef()));
    }
    for (int i = 0; i < n; i++) {
      assertInstanceOf(UserEntity.SendAccepted.class, acks.receiveMessage(Duration.ofSeconds(20)));
    }
    assertInstanceOf(UserEntity.NewItems.class, bobSession.receiveMessage(Duration.ofSeconds(5)));

    // pages: from the journal (key 0 is older than the 16-item tail), then byte-cut from the tail
    List<InboxItem> got = new ArrayList<>();
    TestProbe<UserEntity.SyncResult> sync = kit.createTestProbe(UserEntity.SyncResult.class);
    long key = 0;
    int pages = 0;
    while (true) {
      refs.user(bob).tell(new UserEntity.Sync("phone", key, 0, sync.getRef()));
      UserEntity.SyncOk page = assertInstanceOf(UserEntity.SyncOk.class, sync.receiveMessage(Duration.ofSeconds(10)));
      pages++;
      long bytes = page.items().stream().mapToLong(InboxItem::estimatedBytes).sum();
      assertTrue(bytes <= 512 * 1024, "page of " + bytes + " bytes");
      got.addAll(page.items());
      key = page.syncKey();
      if (!page.hasMore()) break;
    }
    assertTrue(pages >= 3, "byte-cut into pages: " + pages);
    assertEquals(n, got.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i + 1, got.get(i).seq());
      assertEquals("m" + i, got.get(i).clientMsgId());
      assertArrayEquals(binary(size, i), got.get(i).content().data());
    }
    // a page byte-cut from the tail (it holds items 9..24)
    refs.user(bob).tell(new UserEntity.Sync("phone", 12, 0, sync.getRef()));
    UserEntity.SyncOk tail = assertInstanceOf(UserEntity.SyncOk.class, sync.receiveMessage(Duration.ofSeconds(10)));
    assertTrue(tail.hasMore());
    assertEquals(13, tail.items().get(0).seq());
  }

  @Test
  void smallItemsRideInlineAndStatusCrosses() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String carol = "carol-" + run;
    TestProbe<UserEntity.DeviceEvent> session = kit.createTestProbe(UserEntity.DeviceEvent.class);
    TestProbe<UserEntity.Connected> connected = kit.createTestProbe(UserEntity.Connected.class);
    refs.user(carol).tell(new UserEntity.Connect("phone", session.getRef(), 1L, connected.getRef()));
    connected.receiveMessage(Duration.ofSeconds(5));
    TestProbe<UserEntity.SendResult> acks = kit.createTestProbe(UserEntity.SendResult.class);
    refs.user("dave-" + run).tell(new UserEntity.SendMessage("d", "x", carol, MessageContent.text("hi"), acks.getRef()));
    acks.receiveMessage(Duration.ofSeconds(10));
    UserEntity.NewItems push = assertInstanceOf(UserEntity.NewItems.class, session.receiveMessage(Duration.ofSeconds(5)));
    assertEquals("hi", push.inline().get(0).content().text());
    TestProbe<UserEntity.Status> status = kit.createTestProbe(UserEntity.Status.class);
    refs.user(carol).tell(new UserEntity.GetStatus(status.getRef()));
    assertEquals(List.of("phone"), status.receiveMessage(Duration.ofSeconds(5)).onlineDevices());
  }
}
