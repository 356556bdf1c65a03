package io.insync.persistence.user;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Tuning of the user entity, read from {@code insync.user} (see reference.conf, where each key
 * is explained).
 */
public record UserSettings(
    int tailSize,
    int outboundDedupWindow,
    int snapshotEvery,
    int keepSnapshots,
    Duration deliveryTimeout,
    int deliveryBatchMax,
    Duration retryMin,
    Duration retryMax,
    Duration bookkeepingFlush,
    int notifyInlineMaxBytes,
    int notifyInlineMaxItems,
    int syncPageMax,
    int syncPageMaxBytes,
    int journalIndexEvery,
    int maxContentBytes) {

  public static UserSettings fromConfig(Config root) {
    Config c = root.getConfig("insync.user");
    return new UserSettings(
        c.getInt("tail-size"),
        c.getInt("outbound-dedup-window"),
        c.getInt("snapshot-every"),
        c.getInt("keep-snapshots"),
        c.getDuration("delivery-timeout"),
        c.getInt("delivery-batch-max"),
        c.getDuration("retry-min"),
        c.getDuration("retry-max"),
        c.getDuration("bookkeeping-flush"),
        c.getInt("notify-inline-max-bytes"),
        c.getInt("notify-inline-max-items"),
        c.getInt("sync-page-max"),
        (int) c.getBytes("sync-page-max-bytes").longValue(),
        c.getInt("journal-index-every"),
        c.getInt("max-content-bytes"));
  }

  /** Backoff before delivery attempt number {@code attempt} (1 = first retry). */
  public Duration retryDelay(int attempt) {
    long min = retryMin.toMillis();
    long max = retryMax.toMillis();
    long d = min << Math.min(20, Math.max(0, attempt - 1));
    return Duration.ofMillis(Math.min(max, d));
  }
}
