package io.insync.persistence.user;

import java.util.Arrays;
import java.util.Objects;

/**
 * The body of a message as the entities carry it: text, an optional opaque payload and a
 * client-chosen type ("" means text). Immutable: the payload is copied in and out.
 */
public record MessageContent(String text, byte[] data, String type) {
  public static final byte[] NO_DATA = new byte[0];

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

  /** Size in bytes as it counts against limits (UTF-16 chars of text as an estimate, payload). */
  public int approximateSize() {
    return text.length() * 2 + data.length + type.length() * 2;
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
