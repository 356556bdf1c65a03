package io.insync.persistence.group;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code insync.group}: see reference.conf, where every key is explained. */
public record GroupSettings(int maxMembers, int postDedupWindow, int maxUndelivered, Duration cursorFlush,
    int snapshotEvery, int keepSnapshots, Duration receiptFlush, int receiptWindow) {

  public GroupSettings {
    require(maxMembers >= 2, "max-members must be >= 2");
    require(postDedupWindow >= 1, "post-dedup-window must be >= 1");
    require(maxUndelivered >= 1, "max-undelivered must be >= 1");
    require(!cursorFlush.isNegative() && !cursorFlush.isZero(), "cursor-flush must be > 0");
    require(!receiptFlush.isNegative() && !receiptFlush.isZero(), "receipt-flush must be > 0");
    require(receiptWindow >= 1, "receipt-window must be >= 1");
    require(snapshotEvery >= 1 && keepSnapshots >= 1, "snapshot-every and keep-snapshots must be >= 1");
  }

  public static final GroupSettings DEFAULT = new GroupSettings(1000, 10000, 10000, Duration.ofSeconds(1), 500, 2,
      Duration.ofSeconds(1), 1000);

  public static GroupSettings fromConfig(Config root) {
    Config c = root.getConfig("insync.group");
    return new GroupSettings(c.getInt("max-members"), c.getInt("post-dedup-window"), c.getInt("max-undelivered"),
        c.getDuration("cursor-flush"), c.getInt("snapshot-every"), c.getInt("keep-snapshots"),
        c.getDuration("receipt-flush"), c.getInt("receipt-window"));
  }

  private static void require(boolean ok, String what) {
    if (!ok) throw new IllegalArgumentException("insync.group." + what);
  }
}
