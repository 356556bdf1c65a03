package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The defaults in reference.conf are read into the settings, and inconsistent bounds are refused. */
class GatewaySettingsTest {
  @Test
  void defaults() {
    GatewaySettings s = GatewaySettings.fromConfig(ConfigFactory.load());
    assertEquals(7400, s.port());
    assertEquals(1 << 20, s.maxFrameBytes());
    assertEquals(30, s.heartbeatSeconds());
    assertEquals(Duration.ofSeconds(90), s.idleTimeout());
    assertEquals(new GatewaySettings.Backpressure(64, 32, 256 * 1024, 32 * 1024), s.backpressure());
    assertEquals(new GatewaySettings.AdmissionBounds(500, 400, 150), s.admission());
    assertEquals(new GatewaySettings.RetryAfter(1000, 2000, 1000, 500, 5000), s.retryAfter());
    assertEquals(Duration.ofSeconds(5), s.entityAttemptTimeout());
    assertEquals(new GatewaySettings.Leave(Duration.ofSeconds(2), 200, ""), s.leave());
  }

  @Test
  void anEntityAttemptTimeoutOfZeroAndANegativeGraceAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GatewaySettings.fromConfig(
        ConfigFactory.parseString("insync.gateway.entity-attempt-timeout = 0s").withFallback(ConfigFactory.load())));
    assertEquals("insync.gateway.entity-attempt-timeout must be positive: PT0S", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GatewaySettings.fromConfig(
        ConfigFactory.parseString("insync.gateway.leave.grace = -1s").withFallback(ConfigFactory.load())));
  }

  @Test
  void resumeMustBeBelowTheBound() {
    assertThrows(IllegalArgumentException.class, () -> GatewaySettings.fromConfig(ConfigFactory
        .parseString("insync.gateway.backpressure { max-outstanding = 8, resume-outstanding = 8 }")
        .withFallback(ConfigFactory.load())));
  }

  @Test
  void theTokenKeyRingComesFromTokenKeysAndTheV1Secret() {
    assertEquals(java.util.List.of("v1"), GatewaySettings.tokenSigner(ConfigFactory.load()).keyIds(), "by default v1 only");
    var ring = GatewaySettings.tokenSigner(ConfigFactory.parseString(
        "insync.gateway { token-keys = \"k1=a,k2=b\", token-signing-key = k2, token-secret = \"\" }")
        .withFallback(ConfigFactory.load()));
    assertEquals(java.util.List.of("k1", "k2"), ring.keyIds());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GatewaySettings.tokenSigner(
        ConfigFactory.parseString("insync.gateway { token-keys = \"k1\" }").withFallback(ConfigFactory.load())));
    assertTrue(e.getMessage().startsWith("insync.gateway.token-keys"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GatewaySettings.tokenSigner(
        ConfigFactory.parseString("insync.gateway { token-keys = \"\", token-secret = \"\" }").withFallback(ConfigFactory.load())),
        "no key at all");
  }
}
