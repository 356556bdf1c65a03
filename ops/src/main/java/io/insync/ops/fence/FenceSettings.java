package io.insync.ops.fence;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The fence's bounds ({@code insync.fence.*}) and the cluster timings they must stay under.
 *
 * <p>Another node may start this node's users only after the others missed its heartbeats
 * ({@code acceptable-heartbeat-pause}, counted from its last heartbeat, which is at most one {@code
 * heartbeat-interval} older than the moment it went silent), the split brain resolver saw no change
 * for {@code stable-after}, and sharding waited {@code down-removal-margin}. So:
 * <ul>
 *   <li>a pause: {@code max-pause + heartbeat-interval < acceptable-heartbeat-pause + stable-after +
 *       down-removal-margin} (the paused node's first write after the pause is refused before any
 *       other node may have started one of its users);
 *   <li>a partition (both sides stop hearing each other at the same moment): the minority notices at
 *       most one heartbeat interval plus one reaper interval after the majority does, so {@code
 *       minority-grace + heartbeat-interval + unreachable-nodes-reaper-interval < stable-after +
 *       down-removal-margin}.
 * </ul>
 */
public record FenceSettings(Duration maxPause, Duration minorityGrace, Duration tick, Duration heartbeatInterval,
    Duration acceptableHeartbeatPause, Duration reaperInterval, Duration stableAfter, Duration removalMargin) {

  public static FenceSettings fromConfig(Config c) {
    Duration stable = c.getDuration("pekko.cluster.split-brain-resolver.stable-after");
    String marginKey = "pekko.cluster.down-removal-margin";
    // "off" means: the split brain resolver's stable-after (Pekko's rule for its own resolver)
    Duration margin = "off".equalsIgnoreCase(c.getString(marginKey)) ? stable : c.getDuration(marginKey);
    return new FenceSettings(
        c.getDuration("insync.fence.max-pause"),
        c.getDuration("insync.fence.minority-grace"),
        c.getDuration("insync.fence.tick"),
        c.getDuration("pekko.cluster.failure-detector.heartbeat-interval"),
        c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"),
        c.getDuration("pekko.cluster.unreachable-nodes-reaper-interval"),
        stable, margin);
  }

  /** The earliest another node may start one of this node's users, counted from when it went silent. */
  public Duration earliestTakeover() {
    return acceptableHeartbeatPause.plus(stableAfter).plus(removalMargin).minus(heartbeatInterval);
  }

  /** Throws IllegalArgumentException naming the keys if a bound leaves no margin. */
  public void validate() {
    if (tick.isNegative() || tick.isZero() || tick.compareTo(maxPause) >= 0) {
      throw new IllegalArgumentException("insync.fence.tick (" + tick.toMillis() + " ms) must be positive and below "
          + "insync.fence.max-pause (" + maxPause.toMillis() + " ms)");
    }
    if (maxPause.compareTo(earliestTakeover()) >= 0) {
      throw new IllegalArgumentException("insync.fence.max-pause (" + maxPause.toMillis() + " ms) must be below "
          + "acceptable-heartbeat-pause + stable-after + down-removal-margin - heartbeat-interval ("
          + earliestTakeover().toMillis() + " ms): a node paused that long may already have been replaced. "
          + "Lower insync.fence.max-pause or raise pekko.cluster.split-brain-resolver.stable-after / "
          + "pekko.cluster.down-removal-margin");
    }
    Duration minorityBound = stableAfter.plus(removalMargin).minus(heartbeatInterval).minus(reaperInterval);
    if (minorityGrace.isNegative() || minorityGrace.compareTo(minorityBound) >= 0) {
      throw new IllegalArgumentException("insync.fence.minority-grace (" + minorityGrace.toMillis() + " ms) must be "
          + "at least 0 and below stable-after + down-removal-margin - heartbeat-interval - "
          + "unreachable-nodes-reaper-interval (" + minorityBound.toMillis() + " ms): the minority side of a "
          + "partition must stop writing before the majority may start its users");
    }
  }
}
