package io.insync.client;

/**
 * A request could not complete because there is no connection: it closed while the request
 * was outstanding, the client is not connected, or the client was closed.
 */
public final class ConnectionLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public ConnectionLostException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception. */
  public ConnectionLostException(String message) {
    super(message);
  }
}
