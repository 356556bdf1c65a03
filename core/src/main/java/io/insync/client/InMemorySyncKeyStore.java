package io.insync.client;

import java.util.concurrent.atomic.AtomicLong;

/** A {@link SyncKeyStore} in memory: for tests, load generators and short-lived clients. */
public final class InMemorySyncKeyStore implements SyncKeyStore {
  private final AtomicLong key;

  /** A store starting at 0. */
  public InMemorySyncKeyStore() {
    this(0);
  }

  /** A store starting at {@code initialKey}. */
  public InMemorySyncKeyStore(long initialKey) {
    this.key = new AtomicLong(initialKey);
  }

  @Override
  public long load() {
    return key.get();
  }

  @Override
  public void store(long newKey) {
    key.set(newKey);
  }
}
