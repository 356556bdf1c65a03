package io.insync.core.codec;

import io.insync.protocol.ErrorCode;
import java.util.Objects;
import java.util.Optional;

/**
 * A violation of the insync wire protocol, tagged with the {@link ErrorCode} a peer should
 * be told about (for example {@link ErrorCode#BAD_FRAME} or {@link ErrorCode#FRAME_TOO_LARGE}).
 *
 * <p>Netty wraps exceptions thrown by decoders and encoders in {@code DecoderException} or
 * {@code EncoderException}; use {@link #find(Throwable)} to get at the protocol error.
 */
public final class ProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ErrorCode code;

  /** Creates an exception with the given code and message. */
  public ProtocolException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** Creates an exception with the given code, message and cause. */
  public ProtocolException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** The error code to report to the peer. */
  public ErrorCode code() {
    return code;
  }

  /**
   * Finds the first {@code ProtocolException} in {@code t}'s chain of causes, {@code t}
   * itself included; empty if there is none (or {@code t} is null).
   */
  public static Optional<ProtocolException> find(Throwable t) {
    Throwable current = t;
    // bounded walk: a cyclic cause chain must not loop forever
    for (int depth = 0; current != null && depth < 32; depth++) {
      if (current instanceof ProtocolException pe) {
        return Optional.of(pe);
      }
      if (current.getCause() == current) {
        break;
      }
      current = current.getCause();
    }
    return Optional.empty();
  }
}
