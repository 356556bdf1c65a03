package io.insync.client;

import io.insync.protocol.Envelope;
import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * The device's place in its inbox and the automatic sync that moves it: the sync key (the
 * highest seq handed to the application, kept in the {@link SyncKeyStore}), the highest seq
 * delivered in this client's life, and the Notify-driven loop that pages through {@code Sync}
 * until the key reaches the inbox's latest seq (taking inline Notify items when they continue
 * the key without a gap).
 *
 * <p>Keys and seqs are uint64 on the wire and are compared unsigned here.
 *
 * <p>A {@code BAD_REQUEST} answer to a {@code Sync} means the server cannot use the key (the
 * only such answer is "sync key K is ahead of the inbox"): the device's data does not belong to
 * this inbox. The cursor then tells the listener ({@link ClientListener#onSyncReset}), stores
 * key 0 and syncs from 0, delivering everything the inbox holds.
 *
 * <p>Confined to the client's event loop; no locks. {@link #key()} may be read from any thread.
 */
final class SyncCursor {
  private static final System.Logger LOG = System.getLogger(InsyncClient.class.getName());

  /** What the cursor needs from the connection. */
  interface Link {
    /** Whether an authenticated connection is up. */
    boolean ready();

    /** Sends {@code Sync{from, maxItems}} on the current connection; the future gets the reply. */
    CompletableFuture<Envelope> sync(long from, int maxItems);

    /** Sends {@code Ack{key}} on the current connection, if there is one. */
    void ack(long key);
  }

  private final SyncKeyStore store;
  private final ClientListener listener;
  private final Link link;
  private final Scheduler scheduler;
  private final Backoff backoff;
  private final boolean auto;
  private final int pageSize;

  private volatile long key;
  private long deliveredUpTo;
  /** Bumped on every connect and disconnect: replies and timers of an older one are ignored. */
  private int epoch;
  private boolean running;
  private boolean again;
  private int failures;
  private Future<?> retryTimer;
  /** Items the server sent that this client had already handed to the application (dropped). */
  private volatile long duplicatesDropped;

  SyncCursor(SyncKeyStore store, ClientListener listener, Link link, Scheduler scheduler,
      Backoff backoff, boolean auto, int pageSize) {
    this.store = store;
    this.listener = listener;
    this.link = link;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.auto = auto;
    this.pageSize = pageSize;
    this.key = store.load();
    this.deliveredUpTo = key;
  }

  /** The current sync key. */
  long key() {
    return key;
  }

  /** Items received again after they were handed to the application, and dropped here. */
  long duplicatesDropped() {
    return duplicatesDropped;
  }

  /** An authenticated connection is up: sync from the key. */
  void onConnected() {
    stop();
    failures = 0;
    trigger();
  }

  /** The connection is gone: the loop stops; the next {@link #onConnected()} starts a new one. */
  void onDisconnected() {
    stop();
  }

  /** The server named its latest seq (Notify, heartbeat): sync if it is past the key. */
  void onLatestSeq(long latestSeq) {
    if (Long.compareUnsigned(latestSeq, key) > 0) {
      trigger();
    }
  }

  /** A Notify: take its inline items if they continue the key, else sync if it is newer. */
  void onNotify(Notify notify) {
    if (!takeInline(notify)) {
      onLatestSeq(notify.getLatestSeq());
    }
  }

  /** The application stored everything up to {@code acked}: raise the key if higher, and ack. */
  void ack(long acked) {
    if (Long.compareUnsigned(acked, key) > 0) {
      advance(acked);
      deliveredUpTo = maxUnsigned(deliveredUpTo, acked);
    }
    link.ack(acked);
  }

  /** Starts the automatic sync, or asks a running one to go again when it is done. */
  void trigger() {
    if (!auto || !link.ready()) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    page(epoch, false);
  }

  private void stop() {
    epoch++;
    running = false;
    again = false;
    Scheduler.cancel(retryTimer);
    retryTimer = null;
  }

  /**
   * Small new items ride along in the Notify. If they continue the key without a gap up to the
   * latest seq, take them as a sync would (no round trip) and ack; otherwise sync as usual.
   */
  private boolean takeInline(Notify notify) {
    int n = notify.getItemsCount();
    if (!auto || !link.ready() || running || n == 0) {
      return false;
    }
    if (notify.getItems(0).getSeq() != key + 1 || notify.getItems(n - 1).getSeq() != notify.getLatestSeq()) {
      return false;
    }
    for (int i = 1; i < n; i++) {
      if (notify.getItems(i).getSeq() != notify.getItems(i - 1).getSeq() + 1) {
        return false;
      }
    }
    SyncResult asPage = SyncResult.newBuilder().addAllItems(notify.getItemsList())
        .setSyncKey(notify.getLatestSeq()).setHasMore(false).build();
    if (accept(asPage)) {
      link.ack(key);
    }
    return true;
  }

  private void page(int loop, boolean advancedSoFar) {
    long from = key;
    link.sync(from, pageSize).whenComplete((env, err) -> {
      if (loop != epoch || !running) {
        return; // the connection changed; the next connection starts a new loop
      }
      if (err == null && env.hasSyncResult()) {
        failures = 0;
        SyncResult page = env.getSyncResult();
        boolean advanced = accept(page) | advancedSoFar;
        if (loop != epoch || !link.ready()) {
          return; // a listener callback closed the client
        }
        if (page.getHasMore() && Long.compareUnsigned(key, from) > 0) {
          page(loop, advanced);
        } else {
          finish(advanced);
        }
      } else if (env != null && env.hasError() && env.getError().getCode() == ErrorCode.BAD_REQUEST && from != 0) {
        reset(from, env.getError());
        if (loop == epoch && link.ready()) {
          page(loop, advancedSoFar);
        }
      } else {
        failed(loop, from, advancedSoFar, env, err);
      }
    });
  }

  private void failed(int loop, long from, boolean advancedSoFar, Envelope env, Throwable err) {
    Error error = env != null && env.hasError() ? env.getError() : null;
    LOG.log(System.Logger.Level.DEBUG, "insync automatic sync from {0} failed: {1}",
        Long.toUnsignedString(from), err != null ? err : error != null ? error : env.getCommandCase());
    boolean retry = err instanceof TimeoutException || (error != null && Backoff.isTransient(error.getCode()));
    if (!retry) {
      finish(advancedSoFar); // the next Notify or heartbeat tries again
      return;
    }
    // stay "running" until the retry: Notifies meanwhile only ask for another round
    if (advancedSoFar) {
      link.ack(key);
    }
    long delay = backoff.delayMs(failures, error != null ? Backoff.retryAfterMs(error) : 0);
    failures = Math.min(failures + 1, 62);
    retryTimer = scheduler.schedule(() -> {
      retryTimer = null;
      if (loop == epoch && running) {
        running = false;
        trigger();
      }
    }, delay);
  }

  private void finish(boolean advanced) {
    if (advanced) {
      link.ack(key);
    }
    running = false;
    if (again) {
      trigger();
    }
  }

  /** The server refused key {@code stale}: start over from 0. */
  private void reset(long stale, Error error) {
    LOG.log(System.Logger.Level.WARNING,
        "insync server refused sync key {0} ({1}); resyncing from key 0",
        Long.toUnsignedString(stale), error.getReason());
    listener.onSyncReset(stale);
    deliveredUpTo = 0;
    key = 0;
    persist(0);
  }

  /** Hands new items to the listener, then stores the new key. Returns whether the key grew. */
  private boolean accept(SyncResult page) {
    List<Item> fresh = new ArrayList<>(page.getItemsCount());
    int again = 0;
    for (Item item : page.getItemsList()) {
      if (Long.compareUnsigned(item.getSeq(), deliveredUpTo) > 0) {
        fresh.add(item);
        deliveredUpTo = item.getSeq();
      } else {
        again++;
      }
    }
    if (again > 0) {
      duplicatesDropped += again; // written on the event loop only
    }
    if (!fresh.isEmpty()) {
      listener.onItems(List.copyOf(fresh));
    }
    long newKey = fresh.isEmpty() ? page.getSyncKey() : maxUnsigned(page.getSyncKey(), deliveredUpTo);
    if (Long.compareUnsigned(newKey, key) > 0) {
      advance(newKey);
      return true;
    }
    return false;
  }

  private void advance(long newKey) {
    key = newKey;
    persist(newKey);
  }

  private void persist(long k) {
    try {
      store.store(k);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync sync key store failed", e);
    }
  }

  private static long maxUnsigned(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0 ? a : b;
  }
}
