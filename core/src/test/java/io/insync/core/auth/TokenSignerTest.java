package io.insync.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenSignerTest {
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
  private static final Instant EXPIRY = NOW.plusSeconds(3600);
  private final TokenSigner signer = TokenSigner.fromSecret(TokenSigner.DEV_SECRET);

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private String reason(String token) {
    return assertThrows(InvalidTokenException.class, () -> signer.verify(token, NOW)).reason();
  }

  @Test
  void roundTrip() throws Exception {
    String token = signer.sign("alice@example.com", "phone-1", EXPIRY);
    String[] parts = token.split("\\.");
    assertEquals(5, parts.length);
    assertEquals("v1", parts[0]);
    assertEquals(b64("alice@example.com"), parts[1]);
    assertEquals(b64("phone-1"), parts[2]);
    assertEquals(Long.toString(EXPIRY.getEpochSecond()), parts[3]);
    assertFalse(token.contains("="), "no padding");
    assertEquals(new TokenSigner.Claims("alice@example.com", "phone-1", EXPIRY), signer.verify(token, NOW));
  }

  @Test
  void tamperedPayloadIsBadSignature() {
    String token = signer.sign("alice", "phone", EXPIRY);
    String[] p = token.split("\\.");
    assertEquals("bad signature", reason(String.join(".", p[0], b64("mallory"), p[2], p[3], p[4])));
    assertEquals("bad signature", reason(String.join(".", p[0], p[1], b64("laptop"), p[3], p[4])));
    assertEquals("bad signature",
        reason(String.join(".", p[0], p[1], p[2], Long.toString(EXPIRY.getEpochSecond() + 1), p[4])));
  }

  @Test
  void tamperedSignatureIsRejected() {
    String token = signer.sign("alice", "phone", EXPIRY);
    int i = token.lastIndexOf('.') + 1;
    char flipped = token.charAt(i) == 'A' ? 'B' : 'A';
    assertEquals("bad signature", reason(token.substring(0, i) + flipped + token.substring(i + 1)));
    // a signature one byte short: still well-formed base64url, but wrong
    String shortSig = token.substring(0, token.length() - 3);
    assertThrows(InvalidTokenException.class, () -> signer.verify(shortSig, NOW));
  }

  @Test
  void wrongSecretIsBadSignature() {
    String token = TokenSigner.fromSecret("another-secret").sign("alice", "phone", EXPIRY);
    assertEquals("bad signature", reason(token));
    assertNotEquals(token, signer.sign("alice", "phone", EXPIRY));
  }

  @Test
  void expired() throws Exception {
    String token = signer.sign("alice", "phone", EXPIRY);
    assertEquals("alice", signer.verify(token, EXPIRY.minusSeconds(1)).user());
    assertEquals("expired", assertThrows(InvalidTokenException.class, () -> signer.verify(token, EXPIRY)).reason());
    assertEquals("expired",
        assertThrows(InvalidTokenException.class, () -> signer.verify(token, EXPIRY.plusSeconds(60))).reason());
  }

  @Test
  void malformedStrings() {
    String good = signer.sign("alice", "phone", EXPIRY);
    String[] p = good.split("\\.");
    for (String bad : new String[] {
        "", "v1", "....", "v1....", "garbage", good + ".x", good.substring(good.indexOf('.')),
        "v2" + good.substring(2), good.replace('.', ','),
        String.join(".", p[0], p[1] + "=", p[2], p[3], p[4]),
        String.join(".", p[0], p[1], p[2], "-5", p[4]),
        String.join(".", p[0], p[1], p[2], "12x", p[4]),
        String.join(".", p[0], p[1], p[2], "99999999999999999999", p[4]),
        String.join(".", p[0], "a+b/", p[2], p[3], p[4]),
        String.join(".", p[0], p[1], p[2], p[3], p[4] + "==")}) {
      assertEquals("malformed", reason(bad), bad);
    }
    assertEquals("malformed", assertThrows(InvalidTokenException.class, () -> signer.verify(null, NOW)).reason());
  }

  @Test
  void invalidIdsInASignedTokenAreRejected() throws Exception {
    // a token signed with the right secret but an id the rules forbid (built by hand)
    String payload = "v1." + b64("bad user") + "." + b64("phone") + "." + EXPIRY.getEpochSecond();
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(TokenSigner.DEV_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String sig = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
    assertEquals("invalid user id", reason(payload + "." + sig));
  }

  @Test
  void signRejectsInvalidIds() {
    assertThrows(IllegalArgumentException.class, () -> signer.sign("", "phone", EXPIRY));
    assertThrows(IllegalArgumentException.class, () -> signer.sign("alice", "ph one", EXPIRY));
    assertThrows(IllegalArgumentException.class, () -> signer.sign("a".repeat(65), "phone", EXPIRY));
    assertThrows(IllegalArgumentException.class, () -> new TokenSigner(new byte[0]));
  }
}
