package io.insync.ops.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A tiny JSON writer for the report: objects of strings, numbers, booleans and nested objects. */
public final class JsonOut {
  private final StringBuilder b = new StringBuilder();
  private boolean first = true;

  public JsonOut() {
    b.append('{');
  }

  private JsonOut key(String k) {
    if (!first) b.append(',');
    first = false;
    str(b, k);
    b.append(':');
    return this;
  }

  public JsonOut put(String k, String v) {
    key(k);
    if (v == null) b.append("null");
    else str(b, v);
    return this;
  }

  public JsonOut put(String k, long v) {
    key(k).b.append(v);
    return this;
  }

  public JsonOut put(String k, double v) {
    key(k);
    if (Double.isNaN(v) || Double.isInfinite(v)) b.append("null");
    else b.append(String.format(Locale.ROOT, "%.3f", v));
    return this;
  }

  public JsonOut put(String k, boolean v) {
    key(k).b.append(v);
    return this;
  }

  public JsonOut put(String k, JsonOut nested) {
    key(k).b.append(nested.toString());
    return this;
  }

  /** {@code json} as it is: an object or array rendered already (e.g. a report's toJson()). */
  public JsonOut putRaw(String k, String json) {
    key(k).b.append(json);
    return this;
  }

  /** An array of objects. */
  public JsonOut putArray(String k, List<JsonOut> items) {
    key(k).b.append('[');
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) b.append(',');
      b.append(items.get(i).toString());
    }
    b.append(']');
    return this;
  }

  public JsonOut putAll(Map<String, Long> m) {
    m.forEach(this::put);
    return this;
  }

  @Override
  public String toString() {
    return b + "}";
  }

  /** Appends {@code s} as a JSON string literal (the one escaper of the ops module). */
  public static void str(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }
}
