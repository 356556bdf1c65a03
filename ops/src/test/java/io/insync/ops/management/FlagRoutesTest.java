package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.cluster.flags.Flag;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The flag routes' input checks and answers, without a server. */
class FlagRoutesTest {
  static final List<String> GUARDS = List.of("flag-errors");

  @Test
  void percentagesAreReadAsBasisPoints() {
    assertEquals(1000, InsyncRoutes.basisPoints("10"));
    assertEquals(1000, InsyncRoutes.basisPoints("10%"));
    assertEquals(50, InsyncRoutes.basisPoints("0.5"));
    assertEquals(10_000, InsyncRoutes.basisPoints("100"));
    assertEquals(0, InsyncRoutes.basisPoints("0"));
    for (String bad : List.of("101", "-1", "0.001", "ten", "")) {
      assertThrows(IllegalArgumentException.class, () -> InsyncRoutes.basisPoints(bad), bad);
    }
  }

  @Test
  void aFormBecomesAnUpdateAndBadFieldsSayWhy() {
    Flag.Update u = InsyncRoutes.flagUpdate(Map.of("percent", "1", "allow", "al, bo,al", "deny", "", "guard",
        "flag-errors"), GUARDS);
    assertEquals(Optional.of(100), u.basisPoints());
    assertEquals(Optional.of(List.of("al", "bo")), u.allow());
    assertEquals(Optional.of(List.of()), u.deny(), "an empty list clears it");
    assertEquals(Optional.empty(), u.sets(), "not given: kept");
    assertEquals(Optional.of(List.of("flag-errors")), u.guards());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InsyncRoutes.flagUpdate(Map.of("guard", "error-rate"), GUARDS));
    assertTrue(e.getMessage().contains("segment rule") && e.getMessage().contains("flag-errors"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> InsyncRoutes.flagUpdate(Map.of("who", "me"), GUARDS));
    assertThrows(IllegalArgumentException.class, () -> InsyncRoutes.flagUpdate(Map.of("pct", "1"), GUARDS));
  }

  @Test
  void whoComesFromTheFormTheHeaderOrTheTokenHolder() {
    assertEquals("carol", InsyncRoutes.who("carol", "dave"));
    assertEquals("dave", InsyncRoutes.who(null, "dave"));
    assertEquals(InsyncRoutes.TOKEN_HOLDER, InsyncRoutes.who("", null));
    assertThrows(IllegalArgumentException.class, () -> InsyncRoutes.who("auto-rollback:x", null), "reserved");
  }

  @Test
  void aFlagAnswersWithItsAuditNewestFirst() {
    Flag f = Flag.off("sync-page").apply(Flag.Update.percent(100), "carol", 1000, 50)
        .apply(Flag.Update.percent(1000), "dave", 2000, 50);
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(InsyncRoutes.flagJson(f).toString());
    assertEquals("10%", json.get("step"));
    assertEquals(10.0, ((Number) json.get("percent")).doubleValue());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> audit = (List<Map<String, Object>>) json.get("audit");
    assertEquals(List.of("dave", "carol"), audit.stream().map(c -> c.get("who")).toList());
    assertEquals("1% (allow 0, deny 0, sets 0, guards none)", audit.get(0).get("from"));
    assertEquals(2000L, ((Number) audit.get(0).get("at")).longValue());
  }
}
