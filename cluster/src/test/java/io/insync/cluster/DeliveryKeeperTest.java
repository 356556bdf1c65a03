package io.insync.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.insync.persistence.user.UserEntity;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A keeper pings its user through sharding until nothing is pending, then passivates itself. */
class DeliveryKeeperTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  @Test
  void pingsTheUserUntilNothingIsPendingThenPassivates() {
    var user = kit.createTestProbe(UserEntity.Command.class);
    var shard = kit.createTestProbe(ClusterSharding.ShardCommand.class);
    ActorRef<DeliveryKeeper.Command> keeper = kit.spawn(DeliveryKeeper.create("alice", id -> {
      assertEquals("alice", id);
      return user.getRef();
    }, Duration.ofMillis(100), shard.getRef()));
    // pending: it keeps pinging, never passivates
    for (int i = 0; i < 3; i++) {
      var ask = assertInstanceOf(UserEntity.GetStatus.class, user.receiveMessage(Duration.ofSeconds(3)));
      ask.replyTo().tell(new UserEntity.Status("alice", 5, 2, List.of()));
    }
    shard.expectNoMessage(Duration.ofMillis(50));
    // an unanswered ask (the entity is moving) is just asked again
    assertInstanceOf(UserEntity.GetStatus.class, user.receiveMessage(Duration.ofSeconds(3)));
    var again = assertInstanceOf(UserEntity.GetStatus.class, user.receiveMessage(Duration.ofSeconds(3)));
    keeper.tell(new DeliveryKeeper.Keep("again")); // idempotent
    again.replyTo().tell(new UserEntity.Status("alice", 5, 0, List.of()));
    var passivate = assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
    assertEquals(keeper, passivate.entity());
  }
}
