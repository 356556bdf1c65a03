package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.insync.ops.InsyncNode;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The configuration a node really runs with: built as {@code insync node} builds it (options over
 * application.conf), merged over every reference.conf by the actor system itself, and read back
 * through the settings objects Pekko uses where there are any. A key Pekko does not read (a typo, an
 * old name) is silently ignored, so only the effective value says whether a setting works.
 */
class EffectiveConfigTest {
  static ActorSystem<Void> system;
  static Config config;

  @BeforeAll
  static void start() {
    NodeOptions options = CommandLine.populateCommand(new NodeOptions(), "--artery-port", "0", "--port", "0");
    system = InsyncNode.newSystem(options.build());
    config = system.settings().config();
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void idleUsersArePassivatedAfterTheConfiguredTime() {
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system);
    var idle = sharding.passivationStrategySettings().idleEntitySettings();
    assertTrue(idle.isDefined(), "idle passivation is on");
    assertEquals(Duration.ofMinutes(5), Duration.ofNanos(idle.get().timeout().toNanos()),
        "the idle timeout in force (Pekko's default would be 120 s)");
    assertEquals(1000, sharding.numberOfShards());
    assertEquals(20, config.getInt("pekko.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit"));
    assertFalse(sharding.rememberEntities(), "remember-entities would disable passivation");
  }

  @Test
  void twoWritersOfOneJournalFailTheRecoveryInsteadOfDroppingEvents() {
    // resolved as Pekko resolves a journal plugin's settings: its own section over journal-plugin-fallback
    String plugin = config.getString("pekko.persistence.journal.plugin");
    assertEquals("pekko.persistence.cassandra.journal", plugin);
    Config journal = config.getConfig(plugin).withFallback(config.getConfig("pekko.persistence.journal-plugin-fallback"));
    assertEquals("fail", journal.getString("replay-filter.mode"));
  }

  @Test
  void crossNodeFramesAreOneMebibyteAndTheBufferPoolIsBounded() {
    long frame = config.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    assertEquals(1024 * 1024, frame);
    long pool = config.getInt("pekko.remote.artery.advanced.buffer-pool-size") * frame;
    assertTrue(pool <= 64L * 1024 * 1024, "pooled direct memory for frames stays bounded: " + pool);
    assertTrue(config.getBytes("pekko.remote.artery.advanced.maximum-large-frame-size") >= frame);
  }

  @Test
  void theClusterDownsWithTheSplitBrainResolver() {
    assertEquals("cluster", config.getString("pekko.actor.provider"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        org.apache.pekko.cluster.Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
            .settings().DowningProviderClassName());
    assertEquals("keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
  }

  @Test
  void theJournalIsSetUpForProduction() {
    Config cassandra = config.getConfig("pekko.persistence.cassandra");
    assertFalse(cassandra.getBoolean("events-by-tag.enabled"), "events-by-tag doubles every write");
    assertFalse(cassandra.getBoolean("journal.keyspace-autocreate"));
    assertFalse(cassandra.getBoolean("journal.tables-autocreate"));
    assertFalse(cassandra.getBoolean("snapshot.keyspace-autocreate"));
    assertFalse(cassandra.getBoolean("snapshot.tables-autocreate"));
    assertEquals("datastax-java-driver", cassandra.getString("datastax-java-driver-config"));
    assertEquals("dc1", config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertTrue(config.getBoolean("datastax-java-driver.advanced.reconnect-on-init"));
  }

  @Test
  void javaSerializationIsOff() {
    assertFalse(config.getBoolean("pekko.actor.allow-java-serialization"));
    assertFalse(config.getBoolean("pekko.actor.serialize-messages"), "a test switch, never on in production");
  }

  @Test
  void optionsOverrideTheFiles() {
    NodeOptions options = CommandLine.populateCommand(new NodeOptions(), "--dc", "idc-2", "--cassandra", "10.0.0.7:9142");
    Config c = options.build();
    assertEquals("idc-2", c.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertEquals(java.util.List.of("10.0.0.7:9142"), c.getStringList("datastax-java-driver.basic.contact-points"));
  }

  @Test
  void theWebSocketListenerIsOnByDefaultAt7401SyncAndWsPortMovesIt() {
    Config defaults = CommandLine.populateCommand(new NodeOptions()).build();
    assertTrue(defaults.getBoolean("insync.gateway.websocket.enabled"));
    assertEquals(7401, defaults.getInt("insync.gateway.websocket.port"));
    assertEquals("/sync", defaults.getString("insync.gateway.websocket.path"));
    Config moved = CommandLine.populateCommand(new NodeOptions(), "--ws-port", "7555").build();
    assertEquals(7555, moved.getInt("insync.gateway.websocket.port"));
    assertEquals(7555, io.insync.gateway.GatewaySettings.fromConfig(moved).webSocket().port());
  }
}
