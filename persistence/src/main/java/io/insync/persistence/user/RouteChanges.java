package io.insync.persistence.user;

import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells whoever waits on a command sent through {@link UserRefs} that the routes to entities have
 * just changed, so that the command may have been lost and should be sent again now rather than
 * when its timeout fires.
 *
 * <p>When a node dies, commands sharding routed to its shards before it was removed from the
 * cluster are gone; the senders learn it only from their ask timeouts (the gateway's
 * {@code entity-attempt-timeout}, the entity's {@code delivery-timeout}: 5 s each), and an attempt
 * that timed out while the node was unreachable but not yet removed was lost again. The cluster
 * module calls {@link #changed()} when a member is removed (and once more a little later, after
 * sharding had time to reallocate its shards); the gateway then asks again every Send and Sync in
 * flight, and every user entity resends its deliveries in flight or waiting for a retry. Sends are
 * deduplicated by {@code client_msg_id} and deliveries by the recipient's high-water mark, so a
 * second copy of a command that was not lost costs only the message.
 *
 * <p>Listeners run in the order they were registered, so commands asked again go out in the order
 * they were first asked (a device's pipelined Sends reach its entity in the device's order, instead
 * of being refused {@code OUT_OF_ORDER} one after another).
 *
 * <p>Thread-safe. Listeners run on the caller's thread and must only start asynchronous work.
 */
public final class RouteChanges {
  /** For wiring without a cluster (unit tests, a single system): never changes. */
  public static final RouteChanges NONE = new RouteChanges();

  /** A registered listener; {@link #cancel()} it when it no longer waits. */
  public interface Registration {
    void cancel();
  }

  private static final Registration NOTHING = () -> {};

  private final ConcurrentSkipListMap<Long, Runnable> listeners = new ConcurrentSkipListMap<>();
  private final AtomicLong registrations = new AtomicLong();
  private final AtomicLong changes = new AtomicLong();

  /** {@code listener} runs on every {@link #changed()} until the registration is cancelled. */
  public Registration listen(Runnable listener) {
    if (this == NONE) return NOTHING;
    Long id = registrations.incrementAndGet();
    listeners.put(id, listener);
    return () -> listeners.remove(id);
  }

  /**
   * Routes changed: every listener registered now runs, oldest registration first. Listeners that
   * register during the run (a command asked again registers its new attempt) wait for the next
   * change: running them too would ask again and again, without end.
   */
  public void changed() {
    changes.incrementAndGet();
    for (Runnable l : java.util.List.copyOf(listeners.values())) {
      try {
        l.run();
      } catch (RuntimeException e) {
        System.getLogger(RouteChanges.class.getName()).log(System.Logger.Level.WARNING, "route change listener failed", e);
      }
    }
  }

  /** How many times routes changed so far. */
  public long changes() {
    return changes.get();
  }

  /** Listeners registered now. */
  public int listeners() {
    return listeners.size();
  }
}
