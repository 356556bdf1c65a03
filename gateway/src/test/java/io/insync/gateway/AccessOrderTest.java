package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.gateway.AccessRouting.Gateway;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The order the access endpoint offers gateways in: the client's IDC first; within it the gateways about as
 * loaded as the least loaded, in an order that spreads clients, then the rest by fewest connections.
 */
class AccessOrderTest {
  private static Gateway gw(String node, String idc, int connections) {
    return new Gateway(node, node + ":7400", "", idc, connections);
  }

  private static List<String> nodes(List<Gateway> ordered) {
    return ordered.stream().map(Gateway::node).toList();
  }

  @Test
  void theClientsIdcComesFirstThenTheLeastLoadedThenTheRestByLoad() {
    List<Gateway> all = List.of(gw("e", "dc2", 1), gw("a", "dc1", 500), gw("c", "dc1", 100), gw("b", "dc1", 105),
        gw("f", "dc1", 300), gw("d", "dc2", 0));
    for (long tie = 0; tie < 50; tie++) {
      List<String> o = nodes(AccessRouting.order(all, "dc1", tie));
      // b is within 20 of c: the two lead in either order; then f and a by load; then dc2's two (in band)
      assertEquals(Set.of("b", "c"), Set.copyOf(o.subList(0, 2)), o.toString());
      assertEquals(List.of("f", "a"), o.subList(2, 4), o.toString());
      assertEquals(Set.of("d", "e"), Set.copyOf(o.subList(4, 6)), o.toString());
    }
    List<String> forDc2 = nodes(AccessRouting.order(all, "dc2", 7));
    assertEquals(Set.of("d", "e"), Set.copyOf(forDc2.subList(0, 2)));
  }

  @Test
  void theBandIsTenPercentOfABusyGateway() {
    List<Gateway> all = List.of(gw("a", "dc1", 1000), gw("b", "dc1", 1090), gw("c", "dc1", 1200));
    for (long tie = 0; tie < 20; tie++) {
      List<String> o = nodes(AccessRouting.order(all, "dc1", tie));
      assertEquals(Set.of("a", "b"), Set.copyOf(o.subList(0, 2)), o.toString());
      assertEquals("c", o.get(2));
    }
  }

  @Test
  void equallyLoadedGatewaysAreSpreadOverClientsAndStablePerClient() {
    List<Gateway> all = List.of(gw("a", "dc1", 0), gw("b", "dc1", 0), gw("c", "dc1", 0));
    Map<String, Integer> first = new HashMap<>();
    for (int user = 0; user < 3000; user++) {
      long tie = ("user-" + user).hashCode();
      List<String> o = nodes(AccessRouting.order(all, "dc1", tie));
      assertEquals(o, nodes(AccessRouting.order(all, "dc1", tie)), "the same client gets the same order");
      first.merge(o.get(0), 1, Integer::sum);
    }
    for (String n : List.of("a", "b", "c")) {
      int share = first.getOrDefault(n, 0);
      assertTrue(share > 800 && share < 1200, "each gateway is first for about a third of the users: " + first);
    }
  }

  @Test
  void anUnknownIdcIsOrderedByLoadAlone() {
    List<Gateway> all = List.of(gw("a", "dc1", 500), gw("b", "dc2", 3));
    assertEquals(List.of("b", "a"), nodes(AccessRouting.order(all, "elsewhere", 1)));
  }
}
