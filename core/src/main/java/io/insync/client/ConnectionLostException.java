package io.insync.client;

/**
 * A request could not complete because there is no connection: it closed while the request
 * was outstanding, the client is not connected, or the client was closed. The request's outcome
 * is unknown (a send may have been stored: retry it under the same {@code client_msg_id}). The
 * cause, if any, says why the connection went (an {@link java.io.IOException}, a {@link
 * ServerErrorException} for a fatal {@code Error}, a {@link java.util.concurrent.TimeoutException}
 * for an unanswered heartbeat).
 */
public final class ConnectionLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message for people and why the connection went (may be null). */
  public ConnectionLostException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception with a message for people. */
  public ConnectionLostException(String message) {
    super(message);
  }
}
