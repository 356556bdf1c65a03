package io.insync.persistence.user;

import io.insync.persistence.user.UserEntity.DeliveryRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The sender side of delivery, for one incarnation of a user entity: which recipient has a
 * batch in flight (and under which attempt id), how often delivery to it failed in a row, which
 * pending items the recipients confirmed but the journal does not know yet, and who waits for
 * which item's ack. Plain logic, no actors: the entity sends and schedules, this decides.
 *
 * <p>The durable truth (what is pending) is the {@link UserState}; this only holds what may be
 * lost with the incarnation. A restarted entity starts with a new Outbox: confirmations not yet
 * written are redone (the recipient dedups), waiters are dropped (clients retry with the same
 * client_msg_id), and replies to an earlier incarnation's attempts are ignored because their
 * attempt ids are unknown here.
 *
 * @param <W> who waits for an item's ack (an ActorRef in the entity, anything in tests)
 */
public final class Outbox<W> {

  /** One delivery attempt to {@code to}: answer it with {@code attemptId}. */
  public record Batch(String to, long attemptId, List<InboxItem> items) {
    public Batch {
      items = List.copyOf(items);
    }
  }

  /** An item the recipient confirmed, with those who waited for its ack. */
  public record Confirmed<W>(InboxItem item, List<W> waiters) {}

  private final LongSupplier attemptIds;
  private final Map<String, Long> inFlight = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final Set<DeliveryRef> confirmedLocal = new HashSet<>();
  private final List<DeliveryRef> confirmedUnwritten = new ArrayList<>();
  private final Map<Long, List<W>> waiters = new HashMap<>();

  /** @param attemptIds unique ids, never repeated across incarnations (a JVM-wide counter) */
  public Outbox(LongSupplier attemptIds) {
    this.attemptIds = attemptIds;
  }

  /**
   * The next batch to {@code to}: the oldest unconfirmed pending items, at most {@code maxItems}
   * and {@code maxBytes} (estimatedBytes; always at least one item); null when a batch is already
   * in flight or nothing is left. The returned batch is in flight until confirmed or failed.
   */
  public Batch nextBatch(String to, List<InboxItem> pending, int maxItems, int maxBytes) {
    if (inFlight.containsKey(to)) return null;
    List<InboxItem> batch = new ArrayList<>();
    long bytes = 0;
    for (InboxItem i : pending) {
      if (confirmedLocal.contains(new DeliveryRef(to, i.seq()))) continue;
      int b = i.estimatedBytes();
      if (!batch.isEmpty() && bytes + b > maxBytes) break;
      batch.add(i);
      bytes += b;
      if (batch.size() >= maxItems) break;
    }
    if (batch.isEmpty()) return null;
    long id = attemptIds.getAsLong();
    inFlight.put(to, id);
    return new Batch(to, id, batch);
  }

  /**
   * Forgets the attempt in flight to {@code to}, if any, without counting it as a failure (its
   * command may have been lost in a route change): its reply, if one comes, is stale, and the next
   * {@link #nextBatch} sends the same items again. Returns whether one was in flight.
   */
  public boolean abandon(String to) {
    return inFlight.remove(to) != null;
  }

  public boolean inFlight(String to) {
    return inFlight.containsKey(to);
  }

  /**
   * The recipient confirmed every item up to {@code upTo} for attempt {@code attemptId}. Returns
   * the newly confirmed items with their waiters (to ack), or null if the reply is stale (an
   * attempt that is not the one in flight: an earlier incarnation's, or one already timed out).
   */
  public List<Confirmed<W>> confirm(String to, long attemptId, long upTo, List<InboxItem> pending) {
    if (!inFlight.remove(to, attemptId)) return null;
    failures.remove(to);
    List<Confirmed<W>> out = new ArrayList<>();
    for (InboxItem i : pending) {
      if (i.seq() > upTo) break;
      DeliveryRef ref = new DeliveryRef(to, i.seq());
      if (confirmedLocal.add(ref)) confirmedUnwritten.add(ref);
      List<W> w = waiters.remove(i.seq());
      out.add(new Confirmed<>(i, w == null ? List.of() : w));
    }
    return out;
  }

  /** Attempt {@code attemptId} to {@code to} failed: returns the failures in a row, or 0 if stale. */
  public int fail(String to, long attemptId) {
    if (!inFlight.remove(to, attemptId)) return 0;
    return failures.merge(to, 1, Integer::sum);
  }

  /** Failures in a row of delivery to {@code to} (0 after a success). */
  public int failures(String to) {
    return failures.getOrDefault(to, 0);
  }

  /** True if the recipient confirmed this item (even if the journal does not know it yet). */
  public boolean isConfirmed(String to, long seq) {
    return confirmedLocal.contains(new DeliveryRef(to, seq));
  }

  /** Number of items the journal holds as pending that recipients already confirmed. */
  public int confirmedNotWritten() {
    return confirmedLocal.size();
  }

  public void addWaiter(long seq, W waiter) {
    waiters.computeIfAbsent(seq, k -> new ArrayList<>()).add(waiter);
  }

  public boolean hasUnwritten() {
    return !confirmedUnwritten.isEmpty();
  }

  /**
   * Confirmations to write with the next event; after this, the state (once that event is
   * applied) knows them, so they are forgotten here.
   */
  public List<DeliveryRef> takeConfirmed() {
    List<DeliveryRef> out = List.copyOf(confirmedUnwritten);
    confirmedUnwritten.clear();
    confirmedLocal.clear();
    return out;
  }
}
