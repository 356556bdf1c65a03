package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.gateway.AccessRouting.Gateway;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order the access endpoint offers gateways in: the client's IDC first, then the least loaded, then by node. */
class AccessOrderTest {
  private static Gateway gw(String node, String idc, int connections) {
    return new Gateway(node, node + ":7400", "", idc, connections);
  }

  @Test
  void theClientsIdcComesFirstThenFewestConnectionsThenTheNode() {
    List<Gateway> all = List.of(gw("e", "dc2", 1), gw("a", "dc1", 50), gw("c", "dc1", 10), gw("b", "dc1", 10),
        gw("d", "dc2", 0));
    assertEquals(List.of("b", "c", "a", "d", "e"), AccessRouting.order(all, "dc1").stream().map(Gateway::node).toList());
    assertEquals(List.of("d", "e", "b", "c", "a"), AccessRouting.order(all, "dc2").stream().map(Gateway::node).toList());
  }

  @Test
  void anUnknownIdcIsOrderedByLoadAlone() {
    List<Gateway> all = List.of(gw("a", "dc1", 5), gw("b", "dc2", 3));
    assertEquals(List.of("b", "a"), AccessRouting.order(all, "elsewhere").stream().map(Gateway::node).toList());
  }
}
