package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RouteChangesTest {
  @Test
  void listenersRunOldestFirstUntilCancelled() {
    RouteChanges routes = new RouteChanges();
    List<String> ran = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String name = "l" + i;
      routes.listen(() -> ran.add(name));
    }
    RouteChanges.Registration last = routes.listen(() -> ran.add("last"));
    routes.changed();
    assertEquals(51, ran.size());
    assertEquals("l0", ran.get(0));
    assertEquals("l1", ran.get(1), "in registration order: commands asked again keep their order");
    assertEquals("last", ran.get(50));
    last.cancel();
    ran.clear();
    routes.changed();
    assertEquals(50, ran.size(), "a cancelled listener does not run");
    assertEquals(2, routes.changes());
  }

  @Test
  void aListenerRegisteredDuringAChangeWaitsForTheNextOne() {
    // an ask asked again registers its next attempt from inside the listener: running that one in
    // the same change would ask again and again (it flooded a shard region in FailoverIT)
    RouteChanges routes = new RouteChanges();
    AtomicInteger attempts = new AtomicInteger();
    Runnable[] attempt = new Runnable[1];
    attempt[0] = () -> {
      if (attempts.incrementAndGet() < 1000) routes.listen(attempt[0]); // bounded, so a regression fails, not hangs
    };
    routes.listen(attempt[0]);
    routes.changed();
    assertEquals(1, attempts.get(), "one new attempt per change");
    routes.changed();
    assertEquals(3, attempts.get(), "both registered listeners ran once");
  }

  @Test
  void noneNeverRegisters() {
    AtomicInteger ran = new AtomicInteger();
    RouteChanges.NONE.listen(ran::incrementAndGet);
    RouteChanges.NONE.changed();
    assertEquals(0, ran.get());
    assertEquals(0, RouteChanges.NONE.listeners());
  }
}
