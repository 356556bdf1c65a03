package io.insync.cluster.flags;

/**
 * What the hot path asks of the flags: this node's local copy, never a message or a network call ({@link
 * FlagStore} in a node, {@link #NONE} where no cluster runs).
 */
public interface FlagView {
  /** Whether {@code user} is in the audience of {@code flag} (false for a flag nobody set). */
  boolean on(String flag, String user);

  /**
   * The segment tag values of {@code user} for every flag with guards: {@code NAME:on} or {@code NAME:off}, one per
   * such flag (empty when no flag is guarded). The caller must not change the array.
   */
  String[] segments(String user);

  /** No flags: everyone is outside every audience. */
  FlagView NONE = new FlagView() {
    @Override
    public boolean on(String flag, String user) {
      return false;
    }

    @Override
    public String[] segments(String user) {
      return new String[0];
    }
  };
}
