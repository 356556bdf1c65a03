package io.insync.cluster.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A flag's audience, audit trail and rollback step, without actors. */
class FlagTest {
  static final Optional<String> NO_SET = Optional.empty();

  static Flag at(String name, int percent) {
    return Flag.off(name).apply(Flag.Update.percent(percent * 100), "test", 1, 50);
  }

  static int inAudience(Flag f, int users) {
    int n = 0;
    for (int i = 0; i < users; i++) if (f.includes("user-" + i, NO_SET)) n++;
    return n;
  }

  @Test
  void percentagesHoldWithinTwoPointsOverTenThousandUsers() {
    for (String name : List.of("sync-page", "inline-notify", "x")) {
      for (int percent : new int[] {1, 10, 50, 100}) {
        int n = inAudience(at(name, percent), 10_000);
        double got = n / 100.0;
        System.out.printf("flag %s at %d%%: %d of 10,000 users (%.2f%%)%n", name, percent, n, got);
        assertTrue(Math.abs(got - percent) <= 2.0, name + " at " + percent + "%: " + got + "%");
      }
      assertEquals(0, inAudience(Flag.off(name), 10_000));
      assertEquals(10_000, inAudience(at(name, 100), 10_000));
    }
  }

  @Test
  void aUserStaysInWhileTheFlagWidensAndTheBucketIsFixed() {
    // the bucket is a fixed function of (flag, user): the same in every JVM and release
    assertEquals(Buckets.of("sync-page", "alice"), Buckets.of("sync-page", "alice"));
    assertEquals(3397, Buckets.of("sync-page", "alice"), "golden value: changing the hash moves every user");
    Flag one = at("f", 1);
    Flag ten = at("f", 10);
    Flag fifty = at("f", 50);
    for (int i = 0; i < 10_000; i++) {
      String u = "user-" + i;
      if (one.includes(u, NO_SET)) assertTrue(ten.includes(u, NO_SET), u);
      if (ten.includes(u, NO_SET)) assertTrue(fifty.includes(u, NO_SET), u);
      assertEquals(ten.includes(u, NO_SET), at("f", 10).includes(u, NO_SET), "stable per user: " + u);
    }
  }

  @Test
  void differentFlagsPickDifferentUsers() {
    Flag a = at("a", 10);
    Flag b = at("b", 10);
    int both = 0;
    for (int i = 0; i < 10_000; i++) if (a.includes("user-" + i, NO_SET) && b.includes("user-" + i, NO_SET)) both++;
    assertTrue(both < 300, "about 1% in both, not 10%: " + both);
  }

  @Test
  void denyBeatsAllowBeatsBuckets() {
    Flag f = Flag.off("f").apply(new Flag.Update(Optional.of(10_000), Optional.of(List.of("al")),
        Optional.of(List.of("bo", "al")), Optional.of(List.of("set-1")), Optional.empty()), "op", 1, 50);
    assertFalse(f.includes("bo", NO_SET), "denied at 100%");
    assertFalse(f.includes("al", NO_SET), "deny wins over allow");
    assertTrue(f.includes("cy", NO_SET));
    Flag allowOnly = Flag.off("f").apply(new Flag.Update(Optional.empty(), Optional.of(List.of("al")),
        Optional.empty(), Optional.of(List.of("set-1")), Optional.empty()), "op", 1, 50);
    assertTrue(allowOnly.includes("al", NO_SET));
    assertFalse(allowOnly.includes("cy", NO_SET));
    assertFalse(allowOnly.includes("cy", FlagStore.setOf("cy")), "users have no SET yet: sets match nobody");
    assertTrue(allowOnly.includes("cy", Optional.of("set-1")), "a user of a listed SET is in, once SETs exist");
    assertEquals("f:on", allowOnly.segmentOf("al", NO_SET));
    assertEquals("f:off", allowOnly.segmentOf("cy", NO_SET));
  }

  @Test
  void everyChangeIsAuditedAndTheTrailIsBounded() {
    Flag f = Flag.off("f");
    for (int i = 1; i <= 60; i++) f = f.apply(Flag.Update.percent(i), "op-" + i, 1000L + i, 50);
    assertEquals(50, f.audit().size());
    Flag.Change last = f.lastChange().orElseThrow();
    assertEquals("op-60", last.who());
    assertEquals(1060L, last.at());
    assertEquals("0.59% (allow 0, deny 0, sets 0, guards none)", last.from());
    assertEquals("0.6% (allow 0, deny 0, sets 0, guards none)", last.to());
    assertEquals("op-11", f.audit().get(0).who(), "the oldest ten were dropped");
    assertSame(f, f.apply(Flag.Update.percent(60), "op", 2000, 50), "a change that changes nothing is not audited");
  }

  @Test
  void theRollbackStepIsTheOneBeforeTheLatestRaise() {
    Flag f = at("f", 1).apply(Flag.Update.percent(1000), "op", 2, 50);
    assertEquals(Optional.of(100), f.previousStep());
    Flag withGuard = f.apply(new Flag.Update(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of(List.of("flag-errors"))), "op", 3, 50);
    assertEquals(Optional.of(100), withGuard.previousStep(), "a change of the lists keeps the step to go back to");
    assertEquals(Optional.of(0), at("f", 10).previousStep(), "first step: back to 0%");
    assertEquals(Optional.empty(), Flag.off("f").previousStep(), "nothing to take back at 0%");
    assertEquals("10%", f.step());
    assertEquals("0.5%", Flag.percentText(50));
  }

  @Test
  void theGuardianRollsBackOncePerStep() {
    Flag f = at("f", 1).apply(new Flag.Update(Optional.of(1000), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of(List.of("flag-errors"))), "op", 2, 50);
    assertEquals(Optional.of("f"), FlagGuardian.flagOf("f:on"));
    assertEquals(Optional.empty(), FlagGuardian.flagOf("f:off"));
    assertTrue(FlagGuardian.shouldRollBack(f, "flag-errors"));
    assertFalse(FlagGuardian.shouldRollBack(f, "error-rate"), "not a guard of this flag");
    Flag rolled = f.apply(Flag.Update.percent(f.previousStep().orElseThrow()), FlagGuardian.WHO_PREFIX + "flag-errors", 3, 50);
    assertEquals("1%", rolled.step());
    assertFalse(FlagGuardian.shouldRollBack(rolled, "flag-errors"), "done once: the rule still fires for a while");
    Flag raisedAgain = rolled.apply(Flag.Update.percent(1000), "op", 4, 50);
    assertTrue(FlagGuardian.shouldRollBack(raisedAgain, "flag-errors"), "a person's next step arms it again");
  }
}
