package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DetourTest {
  private final Detour detour = new Detour();
  private final InetSocketAddress leaving = InetSocketAddress.createUnresolved("10.0.0.1", 7400);

  @Test
  void namedGatewaysComeFirstEachOnceAndNeverTheLeavingOne() {
    detour.redirected(leaving, List.of("10.0.0.2:7400", "10.0.0.1:7400", "10.0.0.3:7400", "10.0.0.2:7400"),
        new Random(7));
    Set<String> got = new HashSet<>();
    InetSocketAddress a;
    while ((a = detour.nextTarget()) != null) assertTrue(got.add(Detour.key(a)), "once each: " + a);
    assertEquals(Set.of("10.0.0.2:7400", "10.0.0.3:7400"), got);
    assertTrue(detour.avoids(new InetSocketAddress("10.0.0.1", 7400)));
    assertFalse(detour.avoids(InetSocketAddress.createUnresolved("10.0.0.1", 7401)));
    detour.onAuthenticated();
    assertFalse(detour.avoids(leaving), "once connected elsewhere the leaving gateway is an address like any");
  }

  @Test
  void addressesParseOrAreSkipped() {
    assertEquals(InetSocketAddress.createUnresolved("gw.example", 7400), Detour.parse("gw.example:7400"));
    assertEquals(InetSocketAddress.createUnresolved("::1", 7400), Detour.parse("[::1]:7400"));
    for (String bad : List.of("", "host", "host:", ":7400", "host:0", "host:70000", "host:x", "[]:1")) {
      assertNull(Detour.parse(bad), bad);
    }
  }
}
