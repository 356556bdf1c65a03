package io.insync.cluster;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.UserSettings;
import org.junit.jupiter.api.Test;

class CrossNodeLimitsTest {
  static Config cfg(String s) {
    return ConfigFactory.parseString(s).withFallback(ConfigFactory.load());
  }

  @Test
  void pagesOfHalfAMebibyteNeedTheFrameLimitRaisedExplicitly() {
    Config pekkoDefault = cfg("pekko.actor.provider = cluster"); // Artery's default frame: 256 KiB
    UserSettings s = UserSettings.fromConfig(pekkoDefault);
    var e = assertThrows(IllegalArgumentException.class, () -> CrossNodeLimits.check(s, pekkoDefault));
    assertTrue(e.getMessage().contains("maximum-frame-size"), e.getMessage());
    Config raised = cfg("pekko.actor.provider = cluster\npekko.remote.artery.advanced.maximum-frame-size = 1 MiB");
    assertDoesNotThrow(() -> CrossNodeLimits.check(s, raised));
    assertTrue(CrossNodeLimits.largestMessage(s) <= (1 << 20) - 256 * 1024, "well below 1 MiB");
  }

  @Test
  void aLocalSystemIsNotChecked() {
    Config local = cfg("pekko.actor.provider = local");
    assertDoesNotThrow(() -> CrossNodeLimits.check(UserSettings.fromConfig(local), local));
  }
}
