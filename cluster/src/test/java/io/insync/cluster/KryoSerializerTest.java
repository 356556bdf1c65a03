package io.insync.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.insync.cluster.serialization.KryoSerializer;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.Receipt;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses nodes survives Kryo unchanged, under our serializer. */
class KryoSerializerTest {

  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      """).withFallback(ConfigFactory.load()));

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  Object roundTrip(Object o) {
    Serialization ser = SerializationExtension.get(Adapter.toClassic(kit.system()));
    var serializer = ser.findSerializerFor(o);
    assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier(), "bound to Kryo: " + o.getClass());
    byte[] bytes = serializer.toBinary(o);
    return ser.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o)).get();
  }

  @Test
  void everyClusterMessageRoundTrips() {
    TestProbe<Object> probe = kit.createTestProbe();
    MessageContent content = new MessageContent("héllo ✓", new byte[] {1, 2, 3}, "image");
    InboxItem item = new InboxItem(5, "alice", "bob", "phone", "m-1", 1_700_000_000_000L, content, 9);
    List<Object> messages = List.of(
        new UserEntity.SendMessage("phone", "m-2", "bob", content, "m-1", probe.getRef().narrow()),
        new UserEntity.SendAccepted("m-1", 5, 123),
        new UserEntity.SendRejected("m-1", ErrorCode.RATE_LIMITED, "nope", 250),
        new UserEntity.Deliver("alice", List.of(new UserEntity.Delivery(5, "phone", "m-1", content, 123)),
            probe.getRef().narrow()),
        new UserEntity.DeliveryReceipt("bob", 5),
        new UserEntity.Sync("phone", 4, 100, probe.getRef().narrow()),
        new UserEntity.SyncOk(List.of(item, item), 5, false, 5),
        new UserEntity.SyncOk(new ArrayList<>(List.of(item)), 5, true, 9),
        new UserEntity.SyncOk(List.of(), 0, false, 0),
        new UserEntity.SyncFailed(ErrorCode.BAD_REQUEST, "ahead", 0),
        new UserEntity.AckKey("phone", 5),
        new UserEntity.Connect("phone", probe.getRef().narrow(), 1700000000000L, probe.getRef().narrow()),
        new UserEntity.Connected(5, 4),
        new UserEntity.Disconnect("phone", probe.getRef().narrow()),
        new UserEntity.NewItems("bob", 5, List.of(item)),
        new UserEntity.SessionReplaced("bob", "phone"),
        new UserEntity.GetStatus(probe.getRef().narrow()),
        new UserEntity.Status("bob", 5, 0, List.of("phone")),
        new UserEntity.KeepAlive("delivery to bob pending"),
        new io.insync.persistence.user.PresenceProtocol.Lookup("bob", probe.getRef().narrow()),
        new UserEntity.SessionsFound("bob", List.of()),
        new UserEntity.SessionsFound("bob", List.of(
            new io.insync.persistence.user.PresenceProtocol.PresentSession("phone", probe.getRef().narrow(), 17L))),
        new UserEntity.SessionsFound("bob", List.of(
            new io.insync.persistence.user.PresenceProtocol.PresentSession("phone", probe.getRef().narrow(), 17L),
            new io.insync.persistence.user.PresenceProtocol.PresentSession("tablet", probe.getRef().narrow(), 18L),
            new io.insync.persistence.user.PresenceProtocol.PresentSession("pc", probe.getRef().narrow(), 19L))));
    for (Object m : messages) {
      assertEquals(m, roundTrip(m), "round trip of " + m.getClass().getSimpleName());
    }
  }

  @Test
  void devicesReceiptsAndFiltersRoundTrip() {
    TestProbe<Object> probe = kit.createTestProbe();
    var counts = List.of(new Receipt.Count(3, 40, 12, 49), new Receipt.Count(4, 2, 0, 49));
    InboxItem receipt = new InboxItem(6, "bob", "alice", "", "", 1_700_000_000_000L, MessageContent.EMPTY, 0, null,
        Receipt.of(Receipt.Kind.READ, 5));
    InboxItem groupReceipt = new InboxItem(7, "", "alice", "", "", 1_700_000_000_001L, MessageContent.EMPTY, 0, null,
        Receipt.group("g1", counts));
    List<Object> messages = List.of(
        new UserEntity.Sync("phone", 4, 100, probe.getRef().narrow(),
            new UserEntity.SyncFilter("#g1", io.insync.protocol.ItemKind.MESSAGE)),
        new UserEntity.Sync("phone", 4, 100, probe.getRef().narrow(), new UserEntity.SyncFilter("bob", null)),
        new UserEntity.SyncOk(List.of(receipt, groupReceipt), 7, false, 7),
        new UserEntity.Connect("phone", probe.getRef().narrow(), 17L, probe.getRef().narrow(), "phone"),
        new UserEntity.Connected(5, 0, ErrorCode.AUTH_FAILED, "device phone was removed"),
        new UserEntity.MarkRead("phone", "#g1", 9, probe.getRef().narrow()),
        new UserEntity.ListDevices("phone", probe.getRef().narrow()),
        new UserEntity.DeviceList(List.of(new UserEntity.DeviceInfo("phone", "phone", 4, true, 17L),
            new UserEntity.DeviceInfo("pc", "", 0, false, 18L))),
        new UserEntity.RemoveDevice("phone", "pc", probe.getRef().narrow()),
        new UserEntity.SetPrefs(true, probe.getRef().narrow()),
        UserEntity.Done.OK,
        new UserEntity.Done(ErrorCode.NOT_FOUND, "no device pc"),
        new UserEntity.PeerReceipt("bob", Receipt.Kind.DELIVERED, 5),
        new UserEntity.GroupReceiptCounts("g1", counts),
        new UserEntity.LoggedOut("alice", "pc", ErrorCode.LOGGED_IN_ELSEWHERE, "logged in on phone"),
        new GroupEntity.MemberReceipt("bob", Receipt.Kind.READ, 3),
        new GroupEntity.GetReceipts("alice", 3, probe.getRef().narrow()),
        new GroupEntity.Receipts("g1", 3, 2, List.of("bob", "cy"), List.of("bob")),
        new io.insync.cluster.alerts.AlertNotifier.Report("pekko://insync@h:1", List.of(
            new io.insync.cluster.alerts.AlertNotifier.RuleState("journal-failures", "critical", true, 3, 0, "failing"),
            new io.insync.cluster.alerts.AlertNotifier.RuleState("error-rate", "warning", false, Double.NaN, 0.05, "e"))),
        new io.insync.cluster.alerts.AlertNotifier.GetAlerts(probe.getRef().narrow()),
        new io.insync.cluster.alerts.AlertNotifier.Alerts(List.of(), List.of(
            new io.insync.cluster.alerts.AlertNotifier.Notification("firing", "journal-failures", "critical", 3, 0,
                "pekko://insync@h:1", List.of("pekko://insync@h:1"), "failing", 10, 5))));
    for (Object m : messages) {
      assertEquals(m, roundTrip(m), "round trip of " + m.getClass().getSimpleName());
    }
  }

  @Test
  void managementQuestionsRoundTrip() {
    TestProbe<Object> probe = kit.createTestProbe();
    List<Object> messages = List.of(
        new UserEntity.Inspect(probe.getRef().narrow()),
        new UserEntity.Inspection("bob", "pekko://insync@127.0.0.1:25520", 7, 1,
            List.of(new UserEntity.DeviceInfo("phone", "ios", 7, true, 17L)), 1_700_000_000_000L),
        new UserEntity.Inspection("bob", "pekko://insync@127.0.0.1:25520", 0, 0, List.of(), 1L),
        new UserEntity.Passivate(probe.getRef().narrow()),
        new UserEntity.Passivating("bob", "pekko://insync@127.0.0.1:25520", true, ""),
        new NodeConnections.Count(probe.getRef().narrow()),
        new NodeConnections.Counted("pekko://insync@127.0.0.1:25520", 3));
    for (Object m : messages) {
      assertEquals(m, roundTrip(m), "round trip of " + m.getClass().getSimpleName());
    }
  }

  @Test
  void payloadBytesSurvive() {
    byte[] data = new byte[70_000];
    for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
    var back = (UserEntity.NewItems) roundTrip(new UserEntity.NewItems("u", 1, List.of(
        new InboxItem(1, "a", "u", "d", "c", 1, new MessageContent("", data, "bin"), 0))));
    assertArrayEquals(data, back.inline().get(0).content().data());
  }

  @Test
  void unregisteredClassesAreRefused() {
    KryoSerializer s = new KryoSerializer((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(kit.system()));
    assertThrows(IllegalArgumentException.class, () -> s.toBinary(new java.util.HashMap<String, String>()));
  }
}
