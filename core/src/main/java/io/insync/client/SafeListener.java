package io.insync.client;

import io.insync.protocol.AuthOk;
import io.insync.protocol.Error;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import java.util.List;

/** The application's listener with every callback guarded: an exception is logged, never propagated. */
final class SafeListener implements ClientListener {
  private static final System.Logger LOG = System.getLogger(InsyncClient.class.getName());

  private final ClientListener delegate;

  SafeListener(ClientListener delegate) {
    this.delegate = delegate;
  }

  @Override
  public void onConnected(AuthOk authOk) {
    guard(() -> delegate.onConnected(authOk));
  }

  @Override
  public void onDisconnected(Throwable cause) {
    guard(() -> delegate.onDisconnected(cause));
  }

  @Override
  public void onNotify(Notify notify) {
    guard(() -> delegate.onNotify(notify));
  }

  @Override
  public void onItems(List<Item> items) {
    guard(() -> delegate.onItems(items));
  }

  @Override
  public void onError(Error error) {
    guard(() -> delegate.onError(error));
  }

  @Override
  public void onSyncReset(long staleKey) {
    guard(() -> delegate.onSyncReset(staleKey));
  }

  @Override
  public void onRedirect(io.insync.protocol.Redirect redirect) {
    guard(() -> delegate.onRedirect(redirect));
  }

  private static void guard(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "insync client listener threw", e);
    }
  }
}
