package io.insync.client;

import io.insync.protocol.AuthOk;
import io.insync.protocol.Error;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import java.util.List;

/**
 * Callbacks from an {@link InsyncClient}. All methods run on the client's event loop thread:
 * they must return quickly and never block (hand long work to another executor). An exception
 * thrown by a callback is logged and otherwise ignored: it affects neither the client nor the
 * other callbacks (for {@link #onItems} the key is stored and acked all the same).
 *
 * <p>Every method has an empty default, so an application overrides only what it needs. This
 * stays so: new events are added as new default methods, so a listener written against an
 * older version keeps compiling and working (it just ignores the new events). Implement this
 * interface; do not call its methods yourself.
 */
public interface ClientListener {
  /** A listener that ignores everything (the default of {@link ClientOptions#listener()}). */
  ClientListener NOOP = new ClientListener() {};

  /**
   * The connection is authenticated; {@code authOk} is the server's answer. Called on the first
   * connect and on every reconnect, before the automatic sync starts and before waiting sends go
   * out.
   */
  default void onConnected(AuthOk authOk) {}

  /**
   * An authenticated connection ended. {@code cause} says why; it is null when {@link
   * InsyncClient#close()} ended it. Unless the client was closed or authentication failed,
   * the client reconnects by itself. When the connection ended because the client stopped for
   * good, {@code cause} is a {@link ServerErrorException} with code {@code AUTH_FAILED}, {@code
   * SESSION_REPLACED} or {@code LOGGED_IN_ELSEWHERE}; only {@link InsyncClient#connect()} starts it
   * again. Not called for connection attempts that never authenticated: a reconnect refused for
   * good (an expired token: {@code AUTH_FAILED}; {@code LIMIT_EXCEEDED}) shows only in {@link
   * #onError}, and the client stays stopped.
   */
  default void onDisconnected(Throwable cause) {}

  /** The server announced new items (called before any automatic sync it triggers). */
  default void onNotify(Notify notify) {}

  /**
   * New inbox items from the automatic sync, in seq order. Within one client's life an item
   * (seq) is handed over at most once, unless the sync is reset (see {@link #onSyncReset});
   * after this returns the client stores the new sync key and acks it to the server.
   */
  default void onItems(List<Item> items) {}

  /**
   * The server refused the sync key {@code staleKey} ({@code Error{BAD_REQUEST}} to a
   * {@code Sync}: the key is ahead of the inbox, so what the device holds does not belong to
   * this inbox — for example the user's data was restored from an older backup, or the key
   * store belongs to another user). Called before anything else happens: then the client
   * stores key 0 and the automatic sync starts over from 0, handing every item the inbox
   * holds to {@link #onItems} again, seqs it delivered before included. An application that
   * keeps items should drop (or set aside) what it stored under the old key here. {@code
   * staleKey} is a uint64 ({@link Long#toUnsignedString(long)}). Only the automatic sync
   * resets; a {@link InsyncClient#sync(long, int)} call just fails.
   */
  default void onSyncReset(long staleKey) {}

  /** Every {@code Error} frame the server sends, whether or not it answers a request. */
  default void onError(Error error) {}

  /**
   * The gateway is stopping and named others ({@code Redirect}); called before the client closes
   * that connection and moves (see {@link InsyncClient}). Informational: the client follows it by
   * itself; {@link #onDisconnected} and {@link #onConnected} follow as for any reconnect.
   */
  default void onRedirect(io.insync.protocol.Redirect redirect) {}
}
