package io.insync.persistence.user;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Tuning of the user entity, read from {@code insync.user} (see reference.conf, where each key
 * is explained).
 */
public record UserSettings(
    int tailSize,
    int tailMaxBytes,
    int outboundDedupWindow,
    int inboundSendersMax,
    int snapshotEvery,
    int keepSnapshots,
    Duration deliveryTimeout,
    Duration keeperAfter,
    int deliveryBatchMax,
    int deliveryBatchMaxBytes,
    Duration retryMin,
    Duration retryMax,
    double retryJitter,
    Duration restartMin,
    Duration restartMax,
    int maxPendingPerRecipient,
    int maxPendingTotal,
    int maxPendingBytes,
    Duration rateLimitedRetryAfter,
    Duration outOfOrderRetryAfter,
    Duration bookkeepingFlush,
    int notifyInlineMaxBytes,
    int notifyInlineMaxItems,
    int syncPageMax,
    int syncPageMaxBytes,
    int journalIndexEvery,
    int maxContentBytes,
    int writeBatchMaxEvents,
    int writeBatchMaxBytes,
    LoginPolicy loginPolicy,
    int maxDevices,
    boolean deliveryReceipts,
    int syncFilterScanMax) {

  /** Which other devices of a user a new login logs out ({@code insync.user.login-policy}). */
  public enum LoginPolicy {
    /** Any number of devices online at once. */
    ANY,
    /** One device per named platform: a new phone logs the old phone out, a desktop stays. */
    ONE_PER_PLATFORM,
    /** One device online at a time: any new login logs every other device out. */
    ONE_DEVICE;

    static LoginPolicy parse(String s) {
      return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "any" -> ANY;
        case "one-per-platform" -> ONE_PER_PLATFORM;
        case "one-device" -> ONE_DEVICE;
        default -> throw new IllegalArgumentException(
            "insync.user.login-policy must be any, one-per-platform or one-device, not '" + s + "'");
      };
    }
  }

  public static UserSettings fromConfig(Config root) {
    Config c = root.getConfig("insync.user");
    UserSettings s = new UserSettings(
        c.getInt("tail-size"),
        bytes(c, "tail-max-bytes"),
        c.getInt("outbound-dedup-window"),
        c.getInt("inbound-senders-max"),
        c.getInt("snapshot-every"),
        c.getInt("keep-snapshots"),
        c.getDuration("delivery-timeout"),
        c.getDuration("keeper-after"),
        c.getInt("delivery-batch-max"),
        bytes(c, "delivery-batch-max-bytes"),
        c.getDuration("retry-min"),
        c.getDuration("retry-max"),
        c.getDouble("retry-jitter"),
        c.getDuration("restart-min"),
        c.getDuration("restart-max"),
        c.getInt("max-pending-per-recipient"),
        c.getInt("max-pending-total"),
        bytes(c, "max-pending-bytes"),
        c.getDuration("rate-limited-retry-after"),
        c.getDuration("out-of-order-retry-after"),
        c.getDuration("bookkeeping-flush"),
        c.getInt("notify-inline-max-bytes"),
        c.getInt("notify-inline-max-items"),
        c.getInt("sync-page-max"),
        bytes(c, "sync-page-max-bytes"),
        c.getInt("journal-index-every"),
        c.getInt("max-content-bytes"),
        c.getInt("write-batch-max-events"),
        bytes(c, "write-batch-max-bytes"),
        LoginPolicy.parse(c.getString("login-policy")),
        c.getInt("max-devices"),
        c.getBoolean("delivery-receipts"),
        c.getInt("sync-filter-scan-max"));
    s.validate();
    return s;
  }

  private static int bytes(Config c, String key) {
    long v = c.getBytes(key);
    if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("insync.user." + key + " is too large: " + v);
    return (int) v;
  }

  /** The most one item may weigh ({@link InboxItem#estimatedBytes()}): largest content and ids. */
  public int maxItemBytes() {
    // ids: user ids and device names of up to 128 characters, client_msg_id up to 128 (each UTF-8, <= 4 bytes a char)
    return maxContentBytes + 4 * 4 * 128 + InboxItem.FIXED_OVERHEAD_BYTES;
  }

  /** Fails fast on settings that contradict each other. */
  public void validate() {
    require(retryJitter >= 0 && retryJitter < 1, "retry-jitter must be in [0, 1)");
    require(!retryMax.minus(retryMin).isNegative(), "retry-max must be >= retry-min");
    require(!restartMax.minus(restartMin).isNegative(), "restart-max must be >= restart-min");
    require(deliveryBatchMax >= 1 && deliveryBatchMaxBytes >= 1, "delivery batch bounds must be positive");
    require(maxPendingPerRecipient >= 1 && maxPendingTotal >= maxPendingPerRecipient,
        "max-pending-total must be >= max-pending-per-recipient >= 1");
    require(maxPendingBytes >= maxContentBytes, "max-pending-bytes must hold at least one message of max-content-bytes");
    require(syncPageMaxBytes >= maxContentBytes, "sync-page-max-bytes must be >= max-content-bytes");
    require(outboundDedupWindow >= 1 && inboundSendersMax >= 1, "dedup windows must be positive");
    require(writeBatchMaxEvents >= 1 && writeBatchMaxBytes >= 1, "write batch bounds must be positive");
    require(maxDevices >= 1, "max-devices must be >= 1");
    require(syncFilterScanMax >= syncPageMax, "sync-filter-scan-max must be >= sync-page-max");
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException("insync.user: " + message);
  }

  /** Backoff before delivery attempt number {@code attempt} (1 = first retry), with jitter. */
  public Duration retryDelay(int attempt) {
    return retryDelay(attempt, java.util.concurrent.ThreadLocalRandom.current()::nextDouble);
  }

  /**
   * Exponential backoff capped at retry-max, then jittered down by up to retry-jitter of itself:
   * {@code base = min(retry-max, retry-min * 2^(attempt-1))}, delay in {@code [base*(1-jitter), base]}.
   * The cap holds after jitter; jitter spreads senders that failed together (one slow recipient,
   * a Cassandra stall) so that their retries do not arrive as one wave.
   */
  public Duration retryDelay(int attempt, DoubleSupplier random) {
    long min = retryMin.toMillis();
    long max = retryMax.toMillis();
    long base = Math.min(max, min << Math.min(20, Math.max(0, attempt - 1)));
    double factor = 1.0 - retryJitter * random.getAsDouble();
    return Duration.ofMillis(Math.max(1, Math.round(base * factor)));
  }
}
