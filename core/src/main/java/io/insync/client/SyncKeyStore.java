package io.insync.client;

/**
 * Where a client keeps its sync key (the highest inbox seq it has handed to the application)
 * between connections and runs. Implementations are called on the client's event loop and
 * should be quick.
 */
public interface SyncKeyStore {
  /** The stored key (a uint64), 0 if none. */
  long load();

  /**
   * Stores {@code key} (a uint64). It only grows, except when the server refused the key and
   * the client starts over from 0 (see {@link ClientListener#onSyncReset}).
   */
  void store(long key);
}
