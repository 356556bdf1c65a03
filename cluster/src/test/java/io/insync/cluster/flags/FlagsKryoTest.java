package io.insync.cluster.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.insync.cluster.alerts.AlertNotifier;
import io.insync.cluster.serialization.KryoSerializer;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The flags' messages (ids 700-719, and the notifier's Announce) and the replicated map survive serialization. */
class FlagsKryoTest {
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      """).withFallback(ConfigFactory.load()));

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static Flag sample() {
    return Flag.off("sync-page")
        .apply(Flag.Update.percent(100), "alice", 1_700_000_000_000L, 50)
        .apply(new Flag.Update(Optional.of(1000), Optional.of(List.of("bob")), Optional.of(List.of("cy", "dee", "eve")),
            Optional.of(List.of("set-3")), Optional.of(List.of("flag-errors"))), "auto-rollback:x", 1_700_000_000_001L, 50);
  }

  Object roundTrip(Object o, boolean kryo) {
    Serialization ser = SerializationExtension.get(Adapter.toClassic(kit.system()));
    var serializer = ser.findSerializerFor(o);
    if (kryo) assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier(), "bound to Kryo: " + o.getClass());
    byte[] bytes = serializer.toBinary(o);
    return ser.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o)).get();
  }

  @Test
  void flagMessagesRoundTrip() {
    Flag f = sample();
    List<Object> messages = List.of(f, f.audit().get(0), Flag.off("x"),
        new FlagGuardian.SegmentFiring("pekko://insync@h:1", "flag-errors", "critical", "sync-page:on", 0.5, 0.02, "s"),
        new AlertNotifier.Announce(new AlertNotifier.Notification("rollback", "flag-errors", "critical", 0.5, 0.02,
            "pekko://insync@h:1", List.of("pekko://insync@h:1"), "flag sync-page rolled back", 10, 10)));
    for (Object m : messages) assertEquals(m, roundTrip(m, true), "round trip of " + m.getClass().getSimpleName());
  }

  @Test
  void theReplicatedMapOfFlagsRoundTrips() {
    var self = DistributedData.get(kit.system()).selfUniqueAddress();
    LWWMap<String, Flag> map = LWWMap.<String, Flag>create().put(self, "sync-page", sample()).put(self, "b", Flag.off("b"));
    @SuppressWarnings("unchecked")
    LWWMap<String, Flag> back = (LWWMap<String, Flag>) roundTrip(map, false);
    assertEquals(map.getEntries(), back.getEntries());
  }
}
