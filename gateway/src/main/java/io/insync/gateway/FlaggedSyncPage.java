package io.insync.gateway;

import com.typesafe.config.Config;
import io.insync.cluster.flags.FlagView;
import io.insync.protocol.Sync;

/**
 * The behaviour shipped behind a flag ({@code insync.gateway.flagged.sync-page}): a Sync of a user in the audience
 * of flag {@code flag} gets pages of at most {@code maxItems} items (the server's own page, {@code
 * insync.user.sync-page-max}, is 200): smaller answers on slow links, more round trips. Users outside the audience
 * are served as before. {@code testFault} (tests only) makes the flagged path fail instead, so a test can watch the
 * flag's guarding rule fire and the flag roll back.
 */
public record FlaggedSyncPage(String flag, int maxItems, boolean testFault) {
  public static final FlaggedSyncPage NONE = new FlaggedSyncPage("", 0, false);

  public static FlaggedSyncPage fromConfig(Config root) {
    Config c = root.getConfig("insync.gateway.flagged.sync-page");
    FlaggedSyncPage p = new FlaggedSyncPage(c.getString("flag"), c.getInt("max-items"), c.getBoolean("test-fault"));
    if (p.maxItems < 1) throw new IllegalArgumentException("insync.gateway.flagged.sync-page.max-items must be at least 1");
    return p;
  }

  /** Whether {@code user} gets the flagged behaviour now (this node's copy of the flags; no network call). */
  public boolean appliesTo(String user, FlagView flags) {
    return !flag.isEmpty() && flags.on(flag, user);
  }

  /** The Sync as the entity is asked it: its page limited for a user in the audience, else unchanged. */
  public Sync limit(Sync sync) {
    if (sync.getMaxItems() > 0 && sync.getMaxItems() <= maxItems) return sync;
    return sync.toBuilder().setMaxItems(maxItems).build();
  }
}
