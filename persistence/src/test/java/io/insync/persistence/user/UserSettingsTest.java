package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UserSettingsTest {
  static final UserSettings S = UserSettings.fromConfig(ConfigFactory.load());

  @Test
  void retriesBackOffExponentiallyWithJitterAndACap() {
    // no jitter drawn (random 0): the pure exponential, capped
    assertEquals(Duration.ofMillis(200), S.retryDelay(1, () -> 0.0));
    assertEquals(Duration.ofMillis(400), S.retryDelay(2, () -> 0.0));
    assertEquals(Duration.ofMillis(800), S.retryDelay(3, () -> 0.0));
    assertEquals(Duration.ofSeconds(30), S.retryDelay(50, () -> 0.0), "capped at retry-max");
    // the most jitter: 20% shorter; never longer than the cap
    assertEquals(Duration.ofMillis(320), S.retryDelay(2, () -> 1.0));
    assertEquals(Duration.ofSeconds(24), S.retryDelay(50, () -> 1.0));
    for (int i = 0; i < 1000; i++) {
      Duration d = S.retryDelay(40);
      assertTrue(d.compareTo(Duration.ofSeconds(30)) <= 0 && d.compareTo(Duration.ofSeconds(24)) >= 0, d.toString());
    }
    // and the draws differ (jitter spreads retries of senders that failed together)
    assertTrue(java.util.stream.IntStream.range(0, 50).mapToObj(i -> S.retryDelay(5)).distinct().count() > 5);
  }

  @Test
  void contradictorySettingsFailAtStart() {
    var bad = ConfigFactory.parseString("insync.user.retry-jitter = 1.5").withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> UserSettings.fromConfig(bad));
    var bad2 = ConfigFactory.parseString("insync.user.max-pending-bytes = 1000").withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> UserSettings.fromConfig(bad2));
  }
}
