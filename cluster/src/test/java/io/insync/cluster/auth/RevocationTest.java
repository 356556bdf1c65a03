package io.insync.cluster.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a ban and a revocation refuse, and how an entry is stored. */
class RevocationTest {
  private static final Instant NOW = Instant.parse("2026-12-04T12:00:00.500Z");

  private static Map<String, Revocation> of(Revocation... rs) {
    Map<String, Revocation> m = new HashMap<>();
    for (Revocation r : rs) m.put(r.key(), r);
    return m;
  }

  private static Revocation ban(String user, long until) {
    return new Revocation(Revocation.Kind.BAN, user, null, NOW.toEpochMilli() - 1000, until, "ops", "spam");
  }

  private static Revocation revoke(String user, String device, Instant cutOff) {
    return new Revocation(Revocation.Kind.REVOKE, user, device, cutOff.toEpochMilli(), cutOff.toEpochMilli(), "ops", "");
  }

  @Test
  void aBanRefusesEveryTokenUntilItEnds() {
    Instant fresh = NOW.minusSeconds(1);
    assertEquals(Optional.of("user banned: spam"), Revocation.refusal(of(ban("mallory", 0)), "mallory", "phone", fresh, NOW));
    long inAnHour = NOW.plusSeconds(3600).toEpochMilli();
    assertTrue(Revocation.refusal(of(ban("mallory", inAnHour)), "mallory", "pc", fresh, NOW).orElseThrow()
        .startsWith("user banned until 2026-12-04T13:00:00.500Z"));
    assertEquals(Optional.empty(), Revocation.refusal(of(ban("mallory", NOW.toEpochMilli() - 1)), "mallory", "pc", fresh, NOW),
        "an ended ban refuses nothing");
    assertEquals(Optional.empty(), Revocation.refusal(of(ban("mallory", 0)), "alice", "phone", fresh, NOW), "others are not concerned");
  }

  @Test
  void aRevocationRefusesTheTokensIssuedBeforeItsCutOff() {
    Instant cut = NOW.minusSeconds(10); // 11:59:50.500
    Map<String, Revocation> user = of(revoke("alice", null, cut));
    assertTrue(Revocation.refusal(user, "alice", "phone", cut.minusSeconds(60), NOW).orElseThrow().startsWith("token revoked"));
    assertTrue(Revocation.refusal(user, "alice", "pc", Instant.EPOCH, NOW).isPresent(), "a v1 token (no issue time) too");
    assertEquals(Optional.empty(), Revocation.refusal(user, "alice", "phone", cut.plusSeconds(1), NOW), "a newer token works");
    assertTrue(Revocation.refusal(user, "alice", "phone", Instant.parse("2026-12-04T11:59:50Z"), NOW).isPresent(),
        "issued in the cut-off's second: it may be older than the revocation, so it is refused");
    assertEquals(Optional.empty(), Revocation.refusal(user, "alice", "phone", Instant.parse("2026-12-04T11:59:51Z"), NOW),
        "issued from the next second on: accepted");
    Map<String, Revocation> device = of(revoke("alice", "phone", cut));
    assertTrue(Revocation.refusal(device, "alice", "phone", cut.minusSeconds(60), NOW).isPresent());
    assertEquals(Optional.empty(), Revocation.refusal(device, "alice", "pc", cut.minusSeconds(60), NOW), "only that device");
  }

  @Test
  void anEntryIsStoredAsAStringAndReadBack() {
    Revocation r = new Revocation(Revocation.Kind.REVOKE, "alice", "phone", 17, 17, "o;ps", "lost; stolen");
    assertEquals("revoke/alice/phone", r.key());
    Revocation back = Revocation.parse(r.key(), r.value()).orElseThrow();
    assertEquals(new Revocation(Revocation.Kind.REVOKE, "alice", "phone", 17, 17, "o,ps", "lost; stolen"), back);
    assertEquals("ban/bob", ban("bob", 0).key());
    assertEquals(Optional.empty(), Revocation.parse("ban/bob/phone", "1;0;x;y"), "a ban is per user");
    assertEquals(Optional.empty(), Revocation.parse("nope/bob", "1;0;x;y"));
    assertEquals(Optional.empty(), Revocation.parse("ban/bob", "x;0;x;y"));
  }
}
