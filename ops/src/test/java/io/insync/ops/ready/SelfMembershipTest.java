package io.insync.ops.ready;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

class SelfMembershipTest {
  private final AtomicReference<MemberStatus> status = new AtomicReference<>(MemberStatus.removed());
  private final AtomicBoolean systemStopped = new AtomicBoolean();
  private final AtomicBoolean clusterStopped = new AtomicBoolean();
  private final SelfMembership watch = new SelfMembership(systemStopped::get, clusterStopped::get, status::get);

  @Test
  void aNodeThatHasNotJoinedYetCanStillBecomeReady() {
    // Pekko's selfMember of a node outside any cluster has status Removed
    for (int i = 0; i < 5; i++) assertNull(watch.get(), "not joined yet is not removed");
    status.set(MemberStatus.joining());
    assertNull(watch.get());
    status.set(MemberStatus.up());
    assertNull(watch.get());
  }

  @Test
  void aNodeRemovedAfterItJoinedCanNeverBeReady() {
    assertNull(watch.get());
    status.set(MemberStatus.joining());
    assertNull(watch.get());
    status.set(MemberStatus.removed());
    String why = watch.get();
    assertNotNull(why);
    assertTrue(why.contains("removed"), why);
  }

  @Test
  void downedOrStoppedIsFinalAtOnce() {
    status.set(MemberStatus.down());
    assertNotNull(watch.get(), "Down is only reached after joining");
    status.set(MemberStatus.removed());
    clusterStopped.set(true);
    assertTrue(watch.get().contains("cluster extension"), "a removed node's cluster extension shuts down");
    systemStopped.set(true);
    assertTrue(watch.get().contains("actor system"));
  }
}
