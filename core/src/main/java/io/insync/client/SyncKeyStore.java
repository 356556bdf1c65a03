package io.insync.client;

/**
 * Where a client keeps its sync key (the highest inbox seq it has handed to the application)
 * between connections and runs. Implementations are called on the client's event loop and
 * should be quick.
 */
public interface SyncKeyStore {
  /** The stored key, 0 if none. */
  long load();

  /** Stores {@code key}; it only ever grows. */
  void store(long key);
}
