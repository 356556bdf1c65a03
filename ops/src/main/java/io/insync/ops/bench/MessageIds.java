package io.insync.ops.bench;

/**
 * The benchmark's message ids, {@code b<run>-<n>}, and the texts that carry them: the id, a
 * space, then filler up to the payload size. The recipient finds the id again in the text.
 */
public final class MessageIds {
  private final String prefix;

  /** @param run a short token unique to this run (letters and digits, no '-') */
  public MessageIds(String run) {
    if (run.isEmpty() || run.indexOf('-') >= 0 || run.indexOf(' ') >= 0) {
      throw new IllegalArgumentException("bad run id: " + run);
    }
    this.prefix = "b" + run + "-";
  }

  public String id(long n) {
    return prefix + n;
  }

  /** The text of message {@code n}: its id, then filler so the text is {@code payloadBytes} long (at least the id). */
  public String text(long n, int payloadBytes) {
    String id = id(n);
    if (payloadBytes <= id.length()) return id;
    StringBuilder b = new StringBuilder(payloadBytes).append(id).append(' ');
    while (b.length() < payloadBytes) b.append((char) ('a' + b.length() % 26));
    return b.toString();
  }

  /** The message number in {@code text}, or -1 if it is not a message of this run. */
  public long parse(String text) {
    if (!text.startsWith(prefix)) return -1;
    long n = 0;
    int i = prefix.length();
    if (i >= text.length()) return -1;
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == ' ') break;
      if (c < '0' || c > '9' || n > Long.MAX_VALUE / 10 - 9) return -1;
      n = n * 10 + (c - '0');
    }
    return i == prefix.length() ? -1 : n;
  }
}
