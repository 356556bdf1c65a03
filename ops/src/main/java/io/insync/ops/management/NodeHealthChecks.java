package io.insync.ops.management;

import io.insync.ops.ready.NodeProbes;
import io.insync.persistence.user.UserEntity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The node's health checks behind Pekko Management's {@code /ready} and {@code /alive} (registered in
 * management.conf; Pekko Management creates each once, with the classic actor system). A check that does
 * not hold fails with a reason, which {@code /ready} answers in its 500 body ("Check [...] failed: reason").
 * The readiness conditions are the node's start-up conditions ({@link NodeProbes}), checked again on every
 * call, so a node that loses its journal turns not-ready and ready again when the journal is back.
 */
public final class NodeHealthChecks {
  private NodeHealthChecks() {}

  /** How long a probe may take: a little less than Pekko Management's check-timeout, so our reason wins. */
  static Duration probeTimeout(ActorSystem system) {
    Duration checkTimeout = system.settings().config().getDuration("pekko.management.health-checks.check-timeout");
    Duration t = checkTimeout.minusMillis(Math.min(500, checkTimeout.toMillis() / 4));
    return t.isNegative() || t.isZero() ? checkTimeout : t;
  }

  static CompletionStage<Boolean> notReady(String reason) {
    return CompletableFuture.failedFuture(new IllegalStateException(reason));
  }

  /** Ready: this member's status is Up (not Joining, WeaklyUp, Leaving, Exiting, Down). */
  public static final class MemberUp implements Supplier<CompletionStage<Boolean>> {
    private final Cluster cluster;

    public MemberUp(ActorSystem system) {
      this.cluster = Cluster.get(Adapter.toTyped(system));
    }

    @Override
    public CompletionStage<Boolean> get() {
      Member self = cluster.selfMember();
      return self.status() == MemberStatus.up() ? CompletableFuture.completedFuture(true)
          : notReady("this member is " + self.status() + ", not Up");
    }
  }

  /** Ready: this node's user shard region is started and registered with the shard coordinator. */
  public static final class UserRegionRegistered implements Supplier<CompletionStage<Boolean>> {
    private final NodeProbes probes;

    public UserRegionRegistered(ActorSystem system) {
      this.probes = new NodeProbes(Adapter.toTyped(system), probeTimeout(system));
    }

    @Override
    public CompletionStage<Boolean> get() {
      String region = UserEntity.ENTITY_KEY.name();
      CompletionStage<Boolean> registered;
      try {
        registered = probes.regionRegistered(region).check();
      } catch (IllegalStateException | IllegalArgumentException e) { // sharding of the type not started yet
        return notReady("the " + region + " shard region is not started");
      }
      return registered.handle((ok, err) -> err == null ? ok : false).thenCompose(ok -> ok
          ? CompletableFuture.completedFuture(true)
          : notReady("the " + region + " shard region is not registered with the shard coordinator"));
    }
  }

  /**
   * Ready: this node's journal and snapshot store answer a recovery (a read; {@link NodeProbes#localJournal}).
   * Concurrent calls share one probe, so a burst of health checks costs Cassandra one recovery.
   */
  public static final class JournalReachable implements Supplier<CompletionStage<Boolean>> {
    private final NodeProbes probes;
    private final Duration timeout;
    private final AtomicReference<CompletableFuture<Boolean>> inFlight = new AtomicReference<>();

    public JournalReachable(ActorSystem system) {
      this.timeout = probeTimeout(system);
      this.probes = new NodeProbes(Adapter.toTyped(system), timeout);
    }

    @Override
    public CompletionStage<Boolean> get() {
      CompletableFuture<Boolean> mine = new CompletableFuture<>();
      CompletableFuture<Boolean> current = inFlight.compareAndExchange(null, mine);
      if (current != null) return current;
      probes.localJournal().check().whenComplete((ok, err) -> {
        inFlight.set(null);
        if (err == null && Boolean.TRUE.equals(ok)) {
          mine.complete(true);
        } else {
          mine.completeExceptionally(new IllegalStateException("the journal did not answer a recovery within "
              + timeout.toMillis() + " ms" + (err == null || isTimeout(err) ? "" : " (" + rootMessage(err) + ")")));
        }
      });
      return mine;
    }
  }

  /** Alive: the actor system runs and its default dispatcher runs tasks. */
  public static final class ActorSystemRuns implements Supplier<CompletionStage<Boolean>> {
    private final ActorSystem system;

    public ActorSystemRuns(ActorSystem system) {
      this.system = system;
    }

    @Override
    public CompletionStage<Boolean> get() {
      if (system.whenTerminated().isCompleted()) return notReady("the actor system has terminated");
      return CompletableFuture.supplyAsync(() -> true, system.dispatcher());
    }
  }

  static boolean isTimeout(Throwable t) {
    for (; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException) return true;
    }
    return false;
  }

  static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}
