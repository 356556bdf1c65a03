package io.insync.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rotating keys: v2 tokens name their key; during a rotation the old and the new key are both in the ring;
 * removing a key retires the tokens it signed; v1 tokens are accepted only while the v1 secret is configured.
 */
class TokenKeyRingTest {
  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
  private static final Instant ISSUED = NOW.minusSeconds(60);
  private static final Instant EXPIRY = NOW.plusSeconds(3600);

  private static Map<String, String> keys(String... idSecret) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < idSecret.length; i += 2) m.put(idSecret[i], idSecret[i + 1]);
    return m;
  }

  private static String reason(TokenSigner s, String token) {
    return assertThrows(InvalidTokenException.class, () -> s.verify(token, NOW)).reason();
  }

  @Test
  void aV2TokenNamesItsKeyAndItsIssueTime() throws Exception {
    TokenSigner ring = TokenSigner.keyRing(keys("k2026a", "secret-a"), null, null);
    String token = ring.sign("alice", "phone", ISSUED, EXPIRY);
    String[] p = token.split("\\.");
    assertEquals(7, p.length);
    assertEquals("v2", p[0]);
    assertEquals("k2026a", p[1]);
    assertEquals(Long.toString(ISSUED.getEpochSecond()), p[4]);
    assertEquals(new TokenSigner.Claims("alice", "phone", EXPIRY, "k2026a", ISSUED), ring.verify(token, NOW));
  }

  @Test
  void aRotationAcceptsBothKeysThenRetiresTheOld() throws Exception {
    TokenSigner before = TokenSigner.keyRing(keys("old", "secret-old"), "old", null);
    TokenSigner during = TokenSigner.keyRing(keys("old", "secret-old", "new", "secret-new"), "new", null);
    TokenSigner after = TokenSigner.keyRing(keys("new", "secret-new"), "new", null);
    String oldToken = before.sign("alice", "phone", ISSUED, EXPIRY);
    String newToken = during.sign("alice", "phone", ISSUED, EXPIRY);
    assertEquals("new", newToken.split("\\.")[1], "issuers sign with the new key once it is the signing key");
    assertEquals("old", during.verify(oldToken, NOW).keyId());
    assertEquals("new", during.verify(newToken, NOW).keyId());
    assertEquals("unknown key", reason(after, oldToken), "the old key retired: its tokens are refused");
    assertEquals("new", after.verify(newToken, NOW).keyId());
    assertEquals("unknown key", reason(before, newToken), "a key not yet known");
  }

  @Test
  void aTokenSignedWithAnotherSecretUnderAKnownIdIsABadSignature() {
    TokenSigner ours = TokenSigner.keyRing(keys("k1", "ours"), null, null);
    TokenSigner theirs = TokenSigner.keyRing(keys("k1", "theirs"), null, null);
    assertEquals("bad signature", reason(ours, theirs.sign("alice", "phone", ISSUED, EXPIRY)));
    String t = ours.sign("alice", "phone", ISSUED, EXPIRY);
    String[] p = t.split("\\.");
    // the key id is signed too: moving a token to another id breaks it
    TokenSigner two = TokenSigner.keyRing(keys("k1", "ours", "k2", "ours"), null, null);
    assertEquals("bad signature", reason(two, String.join(".", p[0], "k2", p[2], p[3], p[4], p[5], p[6])));
    // and so is the issue time
    assertEquals("bad signature", reason(ours, String.join(".", p[0], p[1], p[2], p[3], Long.toString(NOW.getEpochSecond()), p[5], p[6])));
  }

  @Test
  void v1TokensAreAcceptedOnlyWhileTheV1SecretIsConfigured() throws Exception {
    String v1 = TokenSigner.fromSecret("legacy").sign("alice", "phone", EXPIRY);
    TokenSigner both = TokenSigner.keyRing(keys("k1", "s1"), "k1", "legacy");
    assertEquals(new TokenSigner.Claims("alice", "phone", EXPIRY), both.verify(v1, NOW));
    assertEquals(TokenSigner.V1_KEY_ID, both.verify(v1, NOW).keyId());
    assertEquals(List.of("k1", "v1"), both.keyIds());
    TokenSigner v2only = TokenSigner.keyRing(keys("k1", "s1"), "k1", "");
    assertEquals("unknown key", reason(v2only, v1));
    assertEquals(List.of("k1"), v2only.keyIds());
    // with no v2 key the ring signs v1 tokens, as before
    assertEquals("v1", TokenSigner.keyRing(Map.of(), null, "legacy").sign("alice", "phone", EXPIRY).split("\\.")[0]);
  }

  @Test
  void theRingListsItsKeysInTheOrderTheyWereGiven() {
    // Map.copyOf iterates in a per-JVM random order: with twelve keys the old code lists them in the given
    // order about once in 479 million runs (CI once saw [k2, k1] for "k1=a,k2=b")
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 12; i >= 1; i--) given.put("k" + i, "s" + i);
    List<String> expected = new java.util.ArrayList<>(given.keySet());
    assertEquals(expected, TokenSigner.keyRing(given, "k3", "").keyIds());
    expected.add(TokenSigner.V1_KEY_ID);
    assertEquals(expected, TokenSigner.keyRing(given, "k3", "legacy").keyIds());
  }

  @Test
  void aTokenIssuedFarInTheFutureIsRefusedAndAnExpiredOneToo() {
    TokenSigner ring = TokenSigner.keyRing(keys("k1", "s1"), null, null);
    assertEquals("issued in the future", reason(ring, ring.sign("alice", "phone", NOW.plusSeconds(301), EXPIRY)));
    assertEquals("alice", assertDoesNotThrow(ring, ring.sign("alice", "phone", NOW.plusSeconds(299), EXPIRY)));
    assertEquals("expired", reason(ring, ring.sign("alice", "phone", ISSUED, NOW)));
  }

  private static String assertDoesNotThrow(TokenSigner s, String token) {
    try {
      return s.verify(token, NOW).user();
    } catch (InvalidTokenException e) {
      throw new AssertionError(e.reason());
    }
  }

  @Test
  void malformedV2TokensAreMalformed() {
    TokenSigner ring = TokenSigner.keyRing(keys("k1", "s1"), null, null);
    String[] p = ring.sign("alice", "phone", ISSUED, EXPIRY).split("\\.");
    for (String bad : List.of(
        String.join(".", p[0], "k.1", p[2], p[3], p[4], p[5], p[6]),
        String.join(".", p[0], "", p[2], p[3], p[4], p[5], p[6]),
        String.join(".", p[0], "k1", p[2], p[3], "x", p[5], p[6]),
        String.join(".", p[0], "k1", p[2], p[3], p[4], p[5]),
        String.join(".", "v3", "k1", p[2], p[3], p[4], p[5], p[6]))) {
      assertEquals("malformed", reason(ring, bad), bad);
    }
  }

  @Test
  void theKeySpecIsIdEqualsSecretCommaSeparated() {
    assertEquals(keys("k1", "s=1", "k2", "s2"), TokenSigner.parseKeys(" k1=s=1 , k2=s2,"));
    assertEquals(Map.of(), TokenSigner.parseKeys("  "));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.parseKeys("k1"));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.parseKeys("k1=a,k1=b"));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.keyRing(keys("bad.id", "s"), null, null));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.keyRing(keys("k1", ""), null, null));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.keyRing(keys("k1", "s"), "k9", null));
    assertThrows(IllegalArgumentException.class, () -> TokenSigner.keyRing(Map.of(), null, ""));
  }
}
