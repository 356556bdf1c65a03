package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.cluster.flags.Flag;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The sync-page flag through real sessions: with the flag at 10%, exactly the users in its audience have their Syncs
 * asked of their entity with a page of 50 (about 10% of 500 users), everyone else with the server's own page; with
 * the test fault on, the audience's Syncs are refused and the rest served.
 */
class FlaggedSessionTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final Flag TEN = Flag.off("sync-page").apply(Flag.Update.percent(1000), "test", 1, 50);

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static void answerSyncs(GatewayFixture gw) {
    gw.users.policy = c -> c instanceof UserEntity.Sync s ? new UserEntity.SyncOk(List.of(), s.afterKey(), false, 0) : null;
  }

  /** Signs in as {@code user} (device named like the user, so the fake entity's Sync says whose it is), syncs once. */
  static Envelope syncOnce(GatewayFixture gw, String user) throws Exception {
    try (TestClient c = gw.authenticated(user, user)) {
      c.send(Envelopes.sync(2, 0, 0));
      return c.read();
    }
  }

  @Test
  void tenPercentOfUsersGetTheSmallerPageAndTheRestDoNot() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.TCP, "", FlaggedSyncPageTest.viewOf(TEN),
        new FlaggedSyncPage("sync-page", 50, false))) {
      answerSyncs(gw);
      int flagged = 0;
      for (int i = 0; i < 500; i++) {
        String user = "s" + i;
        Envelope answer = syncOnce(gw, user);
        assertTrue(answer.hasSyncResult(), answer::toString);
        UserEntity.Sync asked = gw.users.next(UserEntity.Sync.class);
        assertEquals(user, asked.device());
        boolean in = TEN.includes(user, Optional.empty());
        assertEquals(in ? 50 : 0, asked.maxItems(), user + (in ? " is in the audience" : " is not"));
        if (in) flagged++;
      }
      System.out.println("sync-page at 10% through the session: " + flagged + " of 500 users got pages of 50");
      assertTrue(Math.abs(flagged - 50) <= 10, "10% ± 2% of 500: " + flagged);
    }
  }

  @Test
  void theTestFaultFailsOnlyTheAudience() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.TCP, "", FlaggedSyncPageTest.viewOf(TEN),
        new FlaggedSyncPage("sync-page", 50, true))) {
      answerSyncs(gw);
      int refused = 0;
      for (int i = 0; i < 100; i++) {
        String user = "f" + i;
        Envelope answer = syncOnce(gw, user);
        if (TEN.includes(user, Optional.empty())) {
          assertEquals(ErrorCode.INTERNAL, answer.getError().getCode(), answer::toString);
          refused++;
        } else {
          assertTrue(answer.hasSyncResult(), answer::toString);
        }
      }
      assertTrue(refused > 0 && refused < 25, "about 10 of 100 refused: " + refused);
    }
  }
}
