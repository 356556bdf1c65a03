package io.insync.client;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SyncKeyStore} in memory (the default): for tests, load generators and short-lived
 * clients. Another run starts from its initial key again and gets every item the server still
 * holds after it once more. Thread-safe.
 */
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

  /** The last key stored (or the initial one); never fails. */
  @Override
  public long load() {
    return key.get();
  }

  /** Keeps {@code newKey}; never fails. */
  @Override
  public void store(long newKey) {
    key.set(newKey);
  }
}
