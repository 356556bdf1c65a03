package io.insync.core.auth;

/**
 * A token that {@link TokenSigner#verify} rejected; {@link #getMessage()} is the reason
 * ("malformed", "bad signature", "expired", "invalid user id", "invalid device id").
 */
public final class InvalidTokenException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a short reason. */
  public InvalidTokenException(String reason) {
    super(reason);
  }

  /** The short reason, the same as {@link #getMessage()}. */
  public String reason() {
    return getMessage();
  }
}
