package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.cluster.flags.Flag;
import io.insync.cluster.flags.FlagView;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Sync;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The behaviour behind the sync-page flag: 10% of users get the smaller page, the rest the server's own. */
class FlaggedSyncPageTest {
  static FlagView viewOf(Flag f) {
    return new FlagView() {
      @Override
      public boolean on(String flag, String user) {
        return flag.equals(f.name()) && f.includes(user, Optional.empty());
      }

      @Override
      public String[] segments(String user) {
        return new String[] {f.segmentOf(user, Optional.empty())};
      }
    };
  }

  @Test
  void tenPercentOfUsersGetTheFlaggedPageAndTheRestDoNot() {
    FlaggedSyncPage page = FlaggedSyncPage.fromConfig(ConfigFactory.load());
    assertEquals(new FlaggedSyncPage("sync-page", 50, false), page, "the shipped settings");
    FlagView flags = viewOf(Flag.off("sync-page").apply(Flag.Update.percent(1000), "test", 1, 50));
    Sync asked = Sync.newBuilder().setSyncKey(7).build(); // max_items 0: the server's default page
    int flagged = 0;
    for (int i = 0; i < 10_000; i++) {
      String user = "u" + i;
      Sync s = page.appliesTo(user, flags) ? page.limit(asked) : asked;
      UserEntity.Sync toEntity = Wire.sync("phone", s, null);
      if (page.appliesTo(user, flags)) {
        flagged++;
        assertEquals(50, toEntity.maxItems(), user);
      } else {
        assertEquals(0, toEntity.maxItems(), "the server's own page for " + user);
      }
    }
    System.out.println("sync-page at 10%: " + flagged + " of 10,000 users get pages of 50");
    assertTrue(Math.abs(flagged - 1000) <= 200, "10% ± 2%: " + flagged);
  }

  @Test
  void aClientAskingForLessKeepsItsLimit() {
    FlaggedSyncPage page = new FlaggedSyncPage("f", 50, false);
    Sync small = Sync.newBuilder().setMaxItems(20).build();
    assertSame(small, page.limit(small));
    assertEquals(50, page.limit(Sync.newBuilder().setMaxItems(500).build()).getMaxItems());
    assertTrue(!FlaggedSyncPage.NONE.appliesTo("u", viewOf(Flag.off("f"))), "no flag named: nobody");
  }
}
