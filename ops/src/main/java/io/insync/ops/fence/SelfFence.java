package io.insync.ops.fence;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionId;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops this node from writing any journal once another node may have started its users: the lease
 * this cluster does without (docs/design.md, "One writer per user").
 *
 * <p>The split brain resolver downs a silent node only after the others have missed its heartbeats
 * for the failure detector's {@code acceptable-heartbeat-pause} and then seen no change for {@code
 * stable-after}; sharding starts the downed node's users elsewhere {@code down-removal-margin}
 * later still. A node can miss all of that and live on — a stop-the-world pause, SIGSTOP, a VM
 * migration, a network partition — and then act on what sat in its buffers (client frames already
 * received by the kernel, deliveries in its mailboxes) with entities that are no longer the only
 * ones. So the journal asks {@link #refusal()} before every write, and refuses it when:
 * <ul>
 *   <li><b>this process was paused</b> longer than {@code insync.fence.max-pause}: measured on the
 *       monotonic clock, as the gap since the ticker thread last ran; checked by the writer itself
 *       too, so a write that runs before the ticker after a pause is refused as well. The fence then
 *       stays closed and the node shuts down (it cannot know whether it was downed meanwhile);
 *   <li><b>this node has not seen a majority</b> of the cluster's members ({@code Up} or {@code
 *       Leaving}, the members keep-majority counts; a tie is won by the side with the lowest
 *       address, as keep-majority decides) for longer than {@code insync.fence.minority-grace};
 *       reopens when a majority is reachable again;
 *   <li>this node is {@code Down} or removed.
 * </ul>
 * Every Cassandra connection of the node also asks {@link #pauseRefusal()} before it sends bytes
 * ({@link FencedSessionProvider}), so a write queued in the driver when the pause began is not sent
 * after it. Both bounds are checked against the cluster's timings at start (a node with bounds that
 * leave no margin does not start): see {@link FenceSettings}.
 */
public final class SelfFence implements Extension {
  private static final Logger log = LoggerFactory.getLogger(SelfFence.class);

  /** The extension's id. */
  public static final class Id extends AbstractExtensionId<SelfFence> {
    @Override
    public SelfFence createExtension(ExtendedActorSystem system) {
      return new SelfFence(system);
    }
  }

  /**
   * Named in {@code pekko.library-extensions} (ops cluster.conf): Pekko creates the fence when the system
   * starts, so bad settings fail the start and the ticker runs from the first moment.
   */
  public static final class Loader implements ExtensionIdProvider {
    @Override
    public ExtensionId<? extends Extension> lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  public static SelfFence get(ActorSystem system) {
    return ID.get(system);
  }

  /** Why coordinated shutdown ran: this process was paused for longer than the fence allows. */
  public static final class PausedTooLong implements CoordinatedShutdown.Reason {
    public static final PausedTooLong INSTANCE = new PausedTooLong();

    private PausedTooLong() {}

    @Override
    public String toString() {
      return "PausedTooLong";
    }
  }

  private final ExtendedActorSystem system;
  private final FenceSettings settings;
  private final Cluster cluster;
  private final long maxPauseNanos;
  private final long graceNanos;
  private final Thread ticker;

  private volatile long lastTick = System.nanoTime();
  /** Set once, never cleared: the fence is closed for the rest of this process. */
  private volatile String latched;
  /** nanoTime since which this node has seen no majority; 0 while it sees one. */
  private volatile long minoritySince;
  private volatile String minorityView = "";
  private volatile boolean stopped;
  /** Set once this node has been a member (Pekko shows a node that has not joined yet as Removed). */
  private volatile boolean wasMember;

  private SelfFence(ExtendedActorSystem system) {
    this.system = system;
    Config config = system.settings().config();
    this.settings = FenceSettings.fromConfig(config);
    settings.validate();
    this.maxPauseNanos = settings.maxPause().toNanos();
    this.graceNanos = settings.minorityGrace().toNanos();
    this.cluster = "cluster".equals(config.getString("pekko.actor.provider")) ? Cluster.get(system) : null;
    this.ticker = new Thread(this::tickLoop, "insync-self-fence");
    ticker.setDaemon(true);
    ticker.start();
    system.registerOnTermination(() -> {
      stopped = true;
      ticker.interrupt();
    });
    log.info("one writer per user: this node stops writing after a pause over {} ms or {} ms without a majority "
        + "(others may start its users {} ms after its last heartbeat at the earliest)",
        settings.maxPause().toMillis(), settings.minorityGrace().toMillis(), settings.earliestTakeover().toMillis());
  }

  public FenceSettings settings() {
    return settings;
  }

  /** Null if this node may write now; otherwise why not (for the refused write's error). */
  public String refusal() {
    String l = latched;
    if (l != null) return l;
    long now = System.nanoTime();
    long gap = now - lastTick;
    if (gap > maxPauseNanos) {
      latch(gap);
      return latched;
    }
    long since = minoritySince;
    if (since != 0 && now - since > graceNanos) {
      return "this node has seen no majority of the cluster for " + TimeUnit.NANOSECONDS.toMillis(now - since)
          + " ms (" + minorityView + "): it may be on the side the split brain resolver downs";
    }
    if (cluster != null) {
      MemberStatus self = cluster.selfMember().status();
      // (a node that has not joined yet is Removed too, in Pekko's view of itself)
      if (self == MemberStatus.down() || (self == MemberStatus.removed() && wasMember)) {
        return "this node is " + self + " in the cluster";
      }
    }
    return null;
  }

  /**
   * Only the pause check (and the latch): null unless this process was paused for longer than
   * {@code max-pause}. Cheap enough for every write on a Cassandra connection.
   */
  public String pauseRefusal() {
    String l = latched;
    if (l != null) return l;
    long gap = System.nanoTime() - lastTick;
    if (gap > maxPauseNanos) {
      latch(gap);
      return latched;
    }
    return null;
  }

  /** True while the fence lets this node write (for readiness and tests). */
  public boolean isOpen() {
    return refusal() == null;
  }

  private void tickLoop() {
    long tickNanos = settings.tick().toNanos();
    while (!stopped) {
      try {
        TimeUnit.NANOSECONDS.sleep(tickNanos);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      long gap = now - lastTick;
      if (gap > maxPauseNanos && latched == null) latch(gap);
      lastTick = now;
      if (latched == null) checkMajority(now);
    }
  }

  private void latch(long gapNanos) {
    synchronized (this) {
      if (latched != null) return;
      latched = "this process was paused for " + TimeUnit.NANOSECONDS.toMillis(gapNanos) + " ms (more than "
          + settings.maxPause().toMillis() + " ms): another node may run its users now, so it writes nothing more "
          + "and shuts down";
    }
    log.error("one writer per user: {}", latched);
    // not on this thread: coordinated shutdown may take a while, and the ticker should keep ticking
    Thread t = new Thread(() -> CoordinatedShutdown.get(system).run(PausedTooLong.INSTANCE), "insync-self-fence-stop");
    t.setDaemon(true);
    t.start();
  }

  private void checkMajority(long now) {
    if (cluster == null) return;
    if (!wasMember && cluster.selfMember().status() != MemberStatus.removed()
        && cluster.selfMember().status() != MemberStatus.joining()) {
      wasMember = true;
    }
    ClusterEvent.CurrentClusterState state = cluster.state();
    String view = minorityView(state, cluster.selfMember());
    if (view == null) {
      if (minoritySince != 0) log.info("one writer per user: a majority of the cluster is reachable again");
      minoritySince = 0;
    } else if (minoritySince == 0) {
      minorityView = view;
      minoritySince = now;
      log.warn("one writer per user: this node sees no majority ({}); it stops writing after {} ms of this",
          view, settings.minorityGrace().toMillis());
    }
  }

  /** Null if this node's view holds a majority of the voting members (keep-majority's rule); else a description. */
  static String minorityView(ClusterEvent.CurrentClusterState state, Member self) {
    List<Member> voting = new ArrayList<>();
    for (Member m : state.getMembers()) {
      if (!m.dataCenter().equals(self.dataCenter())) continue;
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving()) voting.add(m);
    }
    if (voting.isEmpty()) return null; // not joined yet: nothing sharded runs here
    List<Member> reachable = new ArrayList<>();
    Member lowest = null;
    for (Member m : voting) {
      if (!state.getUnreachable().contains(m)) reachable.add(m);
      if (lowest == null || Member.addressOrdering().compare(m.address(), lowest.address()) < 0) lowest = m;
    }
    int r = reachable.size();
    int n = voting.size();
    return keepsMajority(r, n, reachable.contains(lowest)) ? null : r + " of " + n + " members reachable";
  }

  /**
   * Keep-majority's rule, from one node's view: more than half of the voting members reachable, or
   * exactly half including the member with the lowest address.
   */
  static boolean keepsMajority(int reachable, int voting, boolean lowestAddressReachable) {
    if (voting == 0) return true;
    return 2 * reachable > voting || (2 * reachable == voting && lowestAddressReachable);
  }

  /** For tests: how long the ticker has been silent. */
  Duration sinceLastTick() {
    return Duration.ofNanos(System.nanoTime() - lastTick);
  }
}
