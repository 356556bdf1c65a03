package io.insync.cluster.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.cluster.alerts.AlertNotifier.Notification;
import io.insync.cluster.alerts.AlertNotifier.Report;
import io.insync.cluster.alerts.AlertNotifier.RuleState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The notifier's decisions with a clock the test moves: one notification per firing whatever the number of
 * nodes reporting it, a repeat after the repeat interval, a resolve when no node fires any more (also when the
 * firing node's reports stop), and webhook retries after failed POSTs.
 */
class AlertNotifierTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static final class Recorder implements AlertNotifier.Poster {
    final List<String> bodies = new CopyOnWriteArrayList<>();
    final AtomicInteger failFirst = new AtomicInteger();

    @Override
    public CompletableFuture<Integer> post(Notification n) {
      bodies.add(n.status() + " " + n.rule() + " " + n.startsAt());
      return CompletableFuture.completedFuture(failFirst.getAndDecrement() > 0 ? 503 : 200);
    }
  }

  static AlertNotifier.Settings settings(Duration repeat) {
    return new AlertNotifier.Settings("http://127.0.0.1:1/hook", Duration.ofSeconds(1), 2, Duration.ofMillis(10), repeat,
        Duration.ofSeconds(30), 10, "insync");
  }

  static RuleState state(boolean firing, double value) {
    return new RuleState("journal-failures", "critical", firing, value, 0, "journal writes failing");
  }

  static List<Notification> recent(ActorRef<AlertNotifier.Command> n) {
    var probe = kit.<AlertNotifier.Alerts>createTestProbe();
    n.tell(new AlertNotifier.GetAlerts(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(3)).recent();
  }

  static List<Notification> firing(ActorRef<AlertNotifier.Command> n) {
    var probe = kit.<AlertNotifier.Alerts>createTestProbe();
    n.tell(new AlertNotifier.GetAlerts(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(3)).firing();
  }

  @Test
  void oneNotificationPerFiringAcrossNodesThenRepeatThenResolve() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    Recorder hook = new Recorder();
    var n = kit.spawn(AlertNotifier.behavior(settings(Duration.ofMinutes(10)), now::get, hook));
    n.tell(new Report("node-a", List.of(state(false, 0))));
    n.tell(new Report("node-a", List.of(state(true, 3))));
    n.tell(new Report("node-b", List.of(state(true, 7))));
    n.tell(new Report("node-c", List.of(state(true, 5))));
    now.addAndGet(5_000);
    n.tell(new Report("node-a", List.of(state(true, 4))));
    n.tell(new Report("node-b", List.of(state(true, 8))));
    List<Notification> r = recent(n);
    assertEquals(1, r.size(), "one firing for three nodes: " + r);
    assertEquals("firing", r.get(0).status());
    assertEquals("node-a", r.get(0).node(), "the first reporting node");
    assertEquals(1, firing(n).size());
    assertEquals(1, hook.bodies.size());
    assertTrue(hook.bodies.get(0).startsWith("firing journal-failures"), hook.bodies.get(0));

    // still firing after the repeat interval: repeated once, with the original start
    now.addAndGet(Duration.ofMinutes(10).toMillis());
    n.tell(new Report("node-a", List.of(state(true, 4))));
    n.tell(new Report("node-b", List.of(state(true, 8))));
    r = recent(n);
    assertEquals(2, r.size(), r.toString());
    assertEquals(r.get(1).startsAt(), r.get(0).startsAt());

    // resolved only when no node fires any more
    n.tell(new Report("node-a", List.of(state(false, 0))));
    n.tell(new Report("node-c", List.of(state(false, 0))));
    assertEquals(2, recent(n).size(), "node-b still fires");
    n.tell(new Report("node-b", List.of(state(false, 0))));
    r = recent(n);
    assertEquals(3, r.size(), r.toString());
    assertEquals("resolved", r.get(0).status());
    assertTrue(firing(n).isEmpty());
    assertEquals(3, hook.bodies.size());
    assertTrue(hook.bodies.get(2).startsWith("resolved journal-failures"), hook.bodies.get(2));
  }

  @Test
  void aNodeWhoseReportsStopNoLongerKeepsTheRuleFiring() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    Recorder hook = new Recorder();
    var n = kit.spawn(AlertNotifier.behavior(settings(Duration.ofHours(1)), now::get, hook));
    n.tell(new Report("node-a", List.of(state(true, 1))));
    assertEquals(1, recent(n).size());
    now.addAndGet(31_000); // past report-expiry; the notifier's own 1 s timer expires the report
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (recent(n).size() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
    assertEquals("resolved", recent(n).get(0).status());
  }

  @Test
  void aFailedPostIsRetriedWithBackoff() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    Recorder hook = new Recorder();
    hook.failFirst.set(2);
    var n = kit.spawn(AlertNotifier.behavior(settings(Duration.ofHours(1)), now::get, hook));
    n.tell(new Report("node-a", List.of(state(true, 1))));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (hook.bodies.size() < 3 && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(3, hook.bodies.size(), "two failures, then delivered on the third attempt");
    assertEquals(hook.bodies.get(0), hook.bodies.get(2));
    assertEquals(1, recent(n).size(), "retries are not new notifications");
  }
}
