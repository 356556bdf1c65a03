package io.insync.ops.ready;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Tells, before every readiness try, whether this node can still become ready: a reason once it was
 * downed or removed from the cluster, or its actor system stopped; null while it still can.
 *
 * <p>Pekko reports a node that has not joined yet as {@code Removed} too ({@code Cluster.selfMember}
 * of a node outside any cluster), so {@code Removed} counts only after the node was seen as a member
 * (Joining, WeaklyUp, Up, Leaving, Exiting) or once the cluster extension has shut down. Reading it
 * as "removed" from the first try made nodes that were still joining exit at start (CI of
 * 2026-12-05: UpIT, CliIT, BootstrapIT and eleven more).
 */
public final class SelfMembership implements Supplier<String> {
  private final BooleanSupplier systemStopped;
  private final BooleanSupplier clusterStopped;
  private final Supplier<MemberStatus> status;
  private boolean wasMember;

  public SelfMembership(BooleanSupplier systemStopped, BooleanSupplier clusterStopped, Supplier<MemberStatus> status) {
    this.systemStopped = systemStopped;
    this.clusterStopped = clusterStopped;
    this.status = status;
  }

  @Override
  public String get() {
    if (systemStopped.getAsBoolean()) return "the actor system stopped";
    if (clusterStopped.getAsBoolean()) return "the cluster extension shut down (this node left or was removed)";
    MemberStatus s = status.get();
    if (s == MemberStatus.down()) return "this node was downed before it was ready (status Down)";
    if (s == MemberStatus.removed()) {
      return wasMember ? "this node was removed from the cluster before it was ready (status Removed)" : null;
    }
    wasMember = true;
    return null;
  }
}
