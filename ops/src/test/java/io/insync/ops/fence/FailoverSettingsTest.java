package io.insync.ops.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.ops.InsyncNode;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The failover timings and the fence a node really runs with (an actor system on the node's own
 * configuration), and the fence's checks of its bounds against those timings.
 */
class FailoverSettingsTest {
  static ActorSystem<Void> system;
  static Config config;

  @BeforeAll
  static void start() {
    system = InsyncNode.newSystem(ConfigFactory.parseString("pekko.remote.artery.canonical.port = 0")
        .withFallback(ConfigFactory.load()));
    config = system.settings().config();
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Test
  void shippedTimingsAreInForce() {
    var cluster = Cluster.get(Adapter.toClassic(system)).settings();
    assertEquals(Duration.ofSeconds(1), Duration.ofNanos(cluster.DownRemovalMargin().toNanos()), "down-removal-margin");
    assertEquals(Duration.ofSeconds(1), Duration.ofNanos(cluster.HeartbeatInterval().toNanos()));
    assertEquals(Duration.ofSeconds(2), config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"));
    assertEquals(Duration.ofSeconds(2), config.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
    assertEquals(Duration.ofSeconds(15), config.getDuration("pekko.cluster.split-brain-resolver.down-all-when-unstable"));
    assertEquals("keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    // the shard coordinator writes to a plain majority (Pekko's defaults need every node of a small cluster)
    assertEquals(0, config.getInt("pekko.cluster.sharding.coordinator-state.write-majority-plus"));
    assertEquals(1, config.getInt("pekko.cluster.sharding.distributed-data.majority-min-cap"));
    assertEquals(5, config.getInt("pekko.cluster.sharding.coordinator-state.read-majority-plus"), "reads stay at all");
  }

  @Test
  void theJournalIsFencedAndTheFenceRunsFromTheStart() {
    assertEquals(FencedCassandraJournal.class.getName(), config.getString("pekko.persistence.cassandra.journal.class"));
    assertEquals(FencedSessionProvider.class.getName(), config.getString("pekko.persistence.cassandra.session-provider"));
    SelfFence fence = SelfFence.get(Adapter.toClassic(system));
    assertTrue(config.getStringList("pekko.library-extensions").contains(SelfFence.Loader.class.getName()));
    assertEquals(Duration.ofSeconds(3), fence.settings().maxPause());
    assertEquals(Duration.ofMillis(500), fence.settings().minorityGrace());
    assertEquals(Duration.ofSeconds(4), fence.settings().earliestTakeover());
    assertTrue(fence.isOpen(), "a node that is not in a cluster yet may write: " + fence.refusal());
    assertTrue(fence.sinceLastTick().compareTo(Duration.ofSeconds(1)) < 0, "the ticker runs");
  }

  @Test
  void boundsThatLeaveNoMarginAreRefusedWithTheKeysNamed() {
    FenceSettings ok = FenceSettings.fromConfig(config);
    ok.validate();
    var tooLongPause = new FenceSettings(Duration.ofSeconds(4), ok.minorityGrace(), ok.tick(), ok.heartbeatInterval(),
        ok.acceptableHeartbeatPause(), ok.reaperInterval(), ok.stableAfter(), ok.removalMargin());
    var e = assertThrows(IllegalArgumentException.class, tooLongPause::validate);
    assertTrue(e.getMessage().contains("insync.fence.max-pause"), e.getMessage());
    var tooLongGrace = new FenceSettings(ok.maxPause(), Duration.ofSeconds(1), ok.tick(), ok.heartbeatInterval(),
        ok.acceptableHeartbeatPause(), ok.reaperInterval(), ok.stableAfter(), ok.removalMargin());
    e = assertThrows(IllegalArgumentException.class, tooLongGrace::validate);
    assertTrue(e.getMessage().contains("insync.fence.minority-grace"), e.getMessage());
    // "off" margin means stable-after (Pekko's rule for its resolver)
    Config off = ConfigFactory.parseString("pekko.cluster.down-removal-margin = off").withFallback(config);
    assertEquals(Duration.ofSeconds(2), FenceSettings.fromConfig(off).removalMargin());
  }

  @Test
  void aNodeWhoseFenceLeavesNoMarginDoesNotStart() {
    Config bad = ConfigFactory.parseString("insync.fence.max-pause = 10s\npekko.remote.artery.canonical.port = 0")
        .withFallback(ConfigFactory.load());
    Throwable e = assertThrows(Throwable.class, () -> InsyncNode.newSystem(bad));
    while (e.getCause() != null) e = e.getCause();
    assertTrue(String.valueOf(e.getMessage()).contains("insync.fence.max-pause"), String.valueOf(e));
  }

  @Test
  void keepMajorityFromOneNodesView() {
    assertTrue(SelfFence.keepsMajority(2, 3, false));
    assertFalse(SelfFence.keepsMajority(1, 3, true));
    assertTrue(SelfFence.keepsMajority(1, 2, true), "a tie is kept by the side with the lowest address");
    assertFalse(SelfFence.keepsMajority(1, 2, false));
    assertTrue(SelfFence.keepsMajority(1, 1, true));
    assertTrue(SelfFence.keepsMajority(0, 0, false), "not joined yet");
  }
}
