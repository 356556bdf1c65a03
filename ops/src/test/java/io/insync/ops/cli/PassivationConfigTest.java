package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.InsyncNode;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The passivation a node really runs with (as {@link EffectiveConfigTest}: built as {@code insync
 * node} builds it and read back through Pekko's own settings, since a key Pekko does not read is
 * silently ignored): idle users stop after 5 minutes, and at most 20,000 user entities live on a node,
 * the least recently used stopped first.
 */
class PassivationConfigTest {
  static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    NodeOptions options = CommandLine.populateCommand(new NodeOptions(), "--artery-port", "0", "--port", "0");
    system = InsyncNode.newSystem(options.build());
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void activeUserEntitiesAreBoundedPerNodeLeastRecentlyUsedFirstAndIdleOnesStillTimeOut() {
    var passivation = ClusterShardingSettings.create(system).passivationStrategySettings();
    assertTrue(passivation.activeEntityLimit().isDefined(), "an active-entity limit is in force");
    assertEquals(20_000, passivation.activeEntityLimit().get());
    assertTrue(passivation.replacementPolicySettings().isDefined(), "a replacement policy is in force");
    // (a class nested in a Scala companion object, not reachable by name from Java)
    assertEquals("LeastRecentlyUsedSettings", passivation.replacementPolicySettings().get().getClass().getSimpleName());
    assertTrue(passivation.idleEntitySettings().isDefined(), "idle passivation stays on");
    assertEquals(Duration.ofMinutes(5), Duration.ofNanos(passivation.idleEntitySettings().get().timeout().toNanos()));
  }
}
