package io.insync.client;

import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;

/**
 * A request failed because the server answered with an {@code Error} frame (or, for a connect
 * or a stopped client, because of the {@code Error} that closed the connection). Programs act on
 * {@link #code()} (and {@code error().getRetryAfterMs()}); the message and the error's reason
 * are for people and may change. docs/protocol.md, "Errors", lists the codes.
 */
public final class ServerErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Error error;

  /** Wraps the server's error, with a message for people. */
  public ServerErrorException(String message, Error error) {
    super(message);
    this.error = error;
  }

  /** Wraps the server's error. */
  public ServerErrorException(Error error) {
    this("server error " + error.getCode() + (error.getReason().isEmpty() ? "" : ": " + error.getReason()),
        error);
  }

  /** The server's error frame (code, reason, retry_after_ms, fatal). */
  public Error error() {
    return error;
  }

  /** The server's error code; a code this client does not know reads as {@code UNRECOGNIZED}. */
  public ErrorCode code() {
    return error.getCode();
  }
}
