package io.insync.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdsTest {
  @Test
  void validAndInvalidIds() {
    for (String ok : new String[] {"a", "alice", "A.b_c@d-e", "0", "x".repeat(64)}) {
      assertTrue(Ids.isValidUserId(ok), ok);
      assertTrue(Ids.isValidDeviceId(ok), ok);
      assertEquals(ok, Ids.requireUserId(ok));
    }
    for (String bad : new String[] {"", " ", "a b", "a/b", "é", "a\n", "x".repeat(65), "a:b"}) {
      assertFalse(Ids.isValidUserId(bad), bad);
      assertFalse(Ids.isValidDeviceId(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> Ids.requireUserId(bad), bad);
    }
    assertFalse(Ids.isValidUserId(null));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Ids.requireUserId("a b"))
        .getMessage().contains("may only contain"));
  }
}
