package io.insync.ops.cli;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Parses 500ms, 30s, 5m, 1h (or ISO-8601 PT30S). */
final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String v) {
    String s = v.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.startsWith("pt")) return Duration.parse(v);
    if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    long n = Long.parseLong(s.substring(0, s.length() - 1));
    return switch (s.charAt(s.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default -> throw new IllegalArgumentException("not a duration: " + v + " (use e.g. 500ms, 30s, 5m)");
    };
  }
}
