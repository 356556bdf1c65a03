package io.insync.persistence.user;

import java.util.ArrayList;
import java.util.List;

/** Cuts sync pages and inline pushes by bytes: one rule for the tail and the journal paths. */
public final class SyncPages {
  private SyncPages() {}

  /**
   * The longest prefix of {@code items} whose {@link InboxItem#estimatedBytes()} stay within
   * {@code maxBytes} (always at least one item), as an immutable list (never a subList view, which
   * Kryo cannot carry between nodes).
   */
  public static List<InboxItem> limitBytes(List<InboxItem> items, int maxBytes) {
    List<InboxItem> out = new ArrayList<>(Math.min(items.size(), 256));
    long bytes = 0;
    for (InboxItem i : items) {
      bytes += i.estimatedBytes();
      if (bytes > maxBytes && !out.isEmpty()) break;
      out.add(i);
    }
    return List.copyOf(out);
  }

  /** The sync answer for items after {@code key} (gapless, ascending), cut to {@code maxBytes}. */
  public static UserEntity.SyncOk page(List<InboxItem> items, long key, long latest, int maxBytes) {
    List<InboxItem> page = limitBytes(items, maxBytes);
    long newKey = page.isEmpty() ? key : page.get(page.size() - 1).seq();
    return new UserEntity.SyncOk(page, newKey, newKey < latest, Math.max(latest, newKey));
  }

  /** Total estimated bytes of {@code items}. */
  public static long bytes(List<InboxItem> items) {
    long n = 0;
    for (InboxItem i : items) n += i.estimatedBytes();
    return n;
  }

  /**
   * The answer of a filtered sync: of {@code examined} (the items after {@code key}, gapless, ascending),
   * the ones {@code filter} matches, at most {@code max} and cut to {@code maxBytes}. Its key is the
   * last item looked at (the next page starts after it), so it is a view's key, never to be acked.
   */
  public static UserEntity.SyncOk filtered(List<InboxItem> examined, UserEntity.SyncFilter filter, String self,
      long key, long latest, int max, int maxBytes) {
    List<InboxItem> out = new ArrayList<>();
    long newKey = key;
    long bytes = 0;
    for (InboxItem i : examined) {
      if (filter.matches(self, i)) {
        if (out.size() >= max) break;
        bytes += i.estimatedBytes();
        if (bytes > maxBytes && !out.isEmpty()) break;
        out.add(i);
      }
      newKey = i.seq();
    }
    return new UserEntity.SyncOk(out, newKey, newKey < latest, Math.max(latest, newKey));
  }

  /**
   * A filtered page from matches already picked (at most {@code max}, ascending) among the items
   * after {@code key} up to {@code scannedTo}: cut to {@code maxBytes}; the key is the last match
   * when the page stopped at a limit, else {@code scannedTo} (everything up to it was looked at).
   */
  public static UserEntity.SyncOk matched(List<InboxItem> matches, long key, long scannedTo, long latest, int max,
      int maxBytes) {
    List<InboxItem> page = limitBytes(matches, maxBytes);
    boolean cut = page.size() < matches.size() || matches.size() >= max;
    long newKey = cut && !page.isEmpty() ? page.get(page.size() - 1).seq() : Math.max(key, scannedTo);
    return new UserEntity.SyncOk(page, newKey, newKey < latest, Math.max(latest, newKey));
  }
}
