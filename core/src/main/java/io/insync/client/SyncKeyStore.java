package io.insync.client;

/**
 * Where a client keeps its sync key (the highest inbox seq it has handed to the application)
 * between connections and runs. {@link #load()} is called once, by {@link
 * InsyncClient#create(ClientOptions)}; {@link #store(long)} on the client's event loop, so it
 * should be quick. Implement it to keep the key with the application's own data (in the same
 * transaction as the items, ideally), or use {@link FileSyncKeyStore} or {@link
 * InMemorySyncKeyStore}.
 */
public interface SyncKeyStore {
  /**
   * The stored key (a uint64), 0 if none. An exception thrown here makes {@link
   * InsyncClient#create(ClientOptions)} throw it.
   */
  long load();

  /**
   * Stores {@code key} (a uint64). It only grows, except when the server refused the key and
   * the client starts over from 0 (see {@link ClientListener#onSyncReset}). An exception thrown
   * here is logged; the client goes on with the new key in memory and stores again next time.
   */
  void store(long key);
}
