package io.insync.persistence.user;

import java.util.Arrays;
import java.util.Objects;

/**
 * The body of a message as the entities carry it: text, an optional opaque payload and a
 * client-chosen type ("" means text). Immutable: the payload is copied in and out.
 */
public record MessageContent(String text, byte[] data, String type) {
  public static final byte[] NO_DATA = new byte[0];

  /** No text, no payload (membership entries of a group carry it). */
  public static final MessageContent EMPTY = new MessageContent("", NO_DATA, "");

  public MessageContent {
    text = text == null ? "" : text;
    data = data == null || data.length == 0 ? NO_DATA : data.clone();
    type = type == null ? "" : type;
  }

  public static MessageContent text(String text) {
    return new MessageContent(text, NO_DATA, "");
  }

  @Override
  public byte[] data() {
    return data.length == 0 ? NO_DATA : data.clone();
  }

  /**
   * Size in bytes as it counts against limits: the UTF-8 bytes of text and type plus the payload
   * (what the wire and the stored protobuf carry).
   */
  public int sizeBytes() {
    return utf8Length(text) + data.length + utf8Length(type);
  }

  /** Same as {@link #sizeBytes()} (kept for callers of the old name). */
  public int approximateSize() {
    return sizeBytes();
  }

  /** UTF-8 length of {@code s} without encoding it (an unpaired surrogate counts as '?', one byte). */
  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n += 1;
      } else {
        n += 3;
      }
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MessageContent c
        && text.equals(c.text)
        && type.equals(c.type)
        && Arrays.equals(data, c.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, type, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "MessageContent[text=" + text + ", data=" + data.length + " bytes, type=" + type + "]";
  }
}
