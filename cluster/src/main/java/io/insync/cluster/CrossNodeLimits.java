package io.insync.cluster;

import com.typesafe.config.Config;
import io.insync.persistence.user.UserSettings;

/**
 * Checks at start that every message the user entity sends between nodes stays below Artery's
 * {@code maximum-frame-size}: a larger message is dropped by the transport (logged, never
 * delivered), so the sender's ask times out and retries the same thing forever.
 */
public final class CrossNodeLimits {
  private CrossNodeLimits() {}

  /** Room for what a message carries besides its items (envelope, ActorRefs, ids, counters). */
  public static final int MESSAGE_OVERHEAD_BYTES = 16 * 1024;

  /** The largest message the entity may send between nodes with these settings, in bytes. */
  public static long largestMessage(UserSettings s) {
    // pages, batches and inline pushes always carry at least one item, so one item is a floor
    long items = Math.max(Math.max(s.syncPageMaxBytes(), s.deliveryBatchMaxBytes()),
        Math.max(s.notifyInlineMaxBytes(), s.maxItemBytes()));
    return items + MESSAGE_OVERHEAD_BYTES;
  }

  /** Fails with a message naming the keys if a message could exceed the frame limit. */
  public static void check(UserSettings s, Config config) {
    String provider = config.hasPath("pekko.actor.provider") ? config.getString("pekko.actor.provider") : "local";
    if (!(provider.equals("cluster") || provider.equals("remote") || provider.contains("Cluster")
        || provider.contains("Remote"))) {
      return; // one JVM: nothing crosses a transport
    }
    String key = "pekko.remote.artery.advanced.maximum-frame-size";
    long frame = config.getBytes(key);
    long largest = largestMessage(s);
    if (largest > frame) {
      throw new IllegalArgumentException("insync.user.sync-page-max-bytes / delivery-batch-max-bytes / "
          + "notify-inline-max-bytes / max-content-bytes allow messages of up to " + largest
          + " bytes between nodes, but " + key + " is " + frame
          + ": raise the frame size (and the buffer pool with it) or lower the bounds");
    }
  }
}
