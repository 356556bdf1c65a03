package io.insync.client;

import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;

/** A request failed because the server answered with an {@code Error} frame. */
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

  /** The server's error frame. */
  public Error error() {
    return error;
  }

  /** The server's error code. */
  public ErrorCode code() {
    return error.getCode();
  }
}
