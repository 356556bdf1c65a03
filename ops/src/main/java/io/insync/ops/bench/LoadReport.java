package io.insync.ops.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The outcome of a load run: rates over the measured window, the two latency distributions
 * (microseconds, from each message's scheduled send time), error counts and the exactly-once
 * verdict. Renders as a table or as one JSON object.
 */
public record LoadReport(
    String run,
    String server,
    int users,
    double targetRate,
    double warmupSeconds,
    double measuredSeconds,
    int payloadBytes,
    long sentInWindow,
    long ackedInWindow,
    long deliveredInWindow,
    Histogram ackLatencyMicros,
    Histogram deliverLatencyMicros,
    long sendErrors,
    long sendTimeouts,
    long disconnects,
    Map<String, Long> serverErrors,
    long maxSendLagMicros,
    DeliveryLedger.Check check,
    Map<String, Double> cpuPercent,
    List<CpuMeter.CpuUse> cpuUse,
    long journalWritesInWindow) {

  public LoadReport {
    cpuUse = List.copyOf(cpuUse);
  }

  /** Without the CPU seconds (only the percentages). */
  public LoadReport(String run, String server, int users, double targetRate, double warmupSeconds,
      double measuredSeconds, int payloadBytes, long sentInWindow, long ackedInWindow, long deliveredInWindow,
      Histogram ackLatencyMicros, Histogram deliverLatencyMicros, long sendErrors, long sendTimeouts,
      long disconnects, Map<String, Long> serverErrors, long maxSendLagMicros, DeliveryLedger.Check check,
      Map<String, Double> cpuPercent) {
    this(run, server, users, targetRate, warmupSeconds, measuredSeconds, payloadBytes, sentInWindow, ackedInWindow,
        deliveredInWindow, ackLatencyMicros, deliverLatencyMicros, sendErrors, sendTimeouts, disconnects,
        serverErrors, maxSendLagMicros, check, cpuPercent, List.of(), -1);
  }

  /** Journal writes per message delivered in the window; negative when not measured. */
  public double journalWritesPerDelivered() {
    return journalWritesInWindow < 0 || deliveredInWindow == 0 ? -1 : (double) journalWritesInWindow / deliveredInWindow;
  }

  public double sentPerSecond() {
    return perSecond(sentInWindow);
  }

  public double ackedPerSecond() {
    return perSecond(ackedInWindow);
  }

  public double deliveredPerSecond() {
    return perSecond(deliveredInWindow);
  }

  private double perSecond(long n) {
    return measuredSeconds > 0 ? n / measuredSeconds : 0;
  }

  static JsonOut latency(Histogram h) {
    JsonOut j = new JsonOut().put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) {
      return j.put("p50_ms", Double.NaN).put("p90_ms", Double.NaN).put("p99_ms", Double.NaN).put("p999_ms", Double.NaN)
          .put("max_ms", Double.NaN).put("mean_ms", Double.NaN);
    }
    return j.put("p50_ms", h.getValueAtPercentile(50) / 1000.0)
        .put("p90_ms", h.getValueAtPercentile(90) / 1000.0)
        .put("p99_ms", h.getValueAtPercentile(99) / 1000.0)
        .put("p999_ms", h.getValueAtPercentile(99.9) / 1000.0)
        .put("max_ms", h.getMaxValue() / 1000.0)
        .put("mean_ms", h.getMean() / 1000.0);
  }

  /** CPU % of one core by role, roles sorted. */
  static JsonOut cpuJson(Map<String, Double> cpuPercent) {
    JsonOut cpu = new JsonOut();
    new TreeMap<>(cpuPercent).forEach(cpu::put);
    return cpu;
  }

  /** The start of a delivery verdict: what happened to the sends. */
  static JsonOut sendsJson(long sent, long acked, long failed, long unackedAtEnd) {
    return new JsonOut().put("sent", sent).put("acked", acked).put("failed", failed).put("unacked_at_end", unackedAtEnd);
  }

  public String toJson() {
    JsonOut cpu = cpuJson(cpuPercent);
    JsonOut errs = new JsonOut().putAll(new TreeMap<>(serverErrors));
    JsonOut exactly = sendsJson(check.sent(), check.acked(), check.failed(), check.unackedAtEnd())
        .put("delivered_once", check.deliveredOnce())
        .put("missing", check.missing())
        .put("duplicate_messages", check.duplicateMessages())
        .put("duplicate_deliveries", check.duplicateDeliveries())
        .put("misrouted", check.misrouted())
        .put("delivered_unacked", check.deliveredUnacked())
        .put("exactly_once", check.exactlyOnce());
    return new JsonOut()
        .put("mode", "load")
        .put("run", run)
        .put("server", server)
        .put("users", users)
        .put("target_rate", targetRate)
        .put("warmup_s", warmupSeconds)
        .put("measured_s", measuredSeconds)
        .put("payload_bytes", payloadBytes)
        .put("sent_per_s", sentPerSecond())
        .put("acked_per_s", ackedPerSecond())
        .put("delivered_per_s", deliveredPerSecond())
        .put("send_to_ack", latency(ackLatencyMicros))
        .put("send_to_delivered", latency(deliverLatencyMicros))
        .put("send_errors", sendErrors)
        .put("send_timeouts", sendTimeouts)
        .put("disconnects", disconnects)
        .put("server_errors", errs)
        .put("max_send_lag_ms", maxSendLagMicros / 1000.0)
        .put("cpu_percent", cpu)
        .put("journal_writes", journalWritesInWindow)
        .put("journal_writes_per_delivered", journalWritesPerDelivered())
        .put("delivery_check", exactly)
        .toString();
  }

  public String toTable() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "insync bench %s: %d users, target %.0f msg/s, %.0f s measured after %.0f s warm-up, %d-byte payload, server %s%n",
        run, users, targetRate, measuredSeconds, warmupSeconds, payloadBytes, server));
    b.append(String.format(Locale.ROOT, "%n  rates (mean over the measured window)%n"));
    b.append(String.format(Locale.ROOT, "    sent       %10.1f /s%n", sentPerSecond()));
    b.append(String.format(Locale.ROOT, "    acked      %10.1f /s%n", ackedPerSecond()));
    b.append(String.format(Locale.ROOT, "    delivered  %10.1f /s%n", deliveredPerSecond()));
    b.append(String.format(Locale.ROOT, "%n  latency from scheduled send (ms)   count      p50      p99    p99.9      max%n"));
    row(b, "send -> SendAck                ", ackLatencyMicros);
    row(b, "send -> recipient onItems      ", deliverLatencyMicros);
    b.append(String.format(Locale.ROOT, "%n  errors: %d send errors, %d send timeouts, %d disconnects, server errors %s; sender fell behind schedule by at most %.1f ms%n",
        sendErrors, sendTimeouts, disconnects, serverErrors.isEmpty() ? "none" : new TreeMap<>(serverErrors),
        maxSendLagMicros / 1000.0));
    if (!cpuPercent.isEmpty()) {
      b.append("  CPU during the measured window (% of one core): ");
      new TreeMap<>(cpuPercent).forEach((k, v) -> b.append(String.format(Locale.ROOT, "%s %.0f%%  ", k, v)));
      b.append(String.format("%n"));
    }
    if (journalWritesInWindow >= 0) {
      b.append(String.format(Locale.ROOT, "  journal writes in the measured window: %d (%.2f per delivered message)%n",
          journalWritesInWindow, journalWritesPerDelivered()));
    }
    b.append(String.format(Locale.ROOT, "%n  exactly-once check over all %d messages sent: %s%n", check.sent(),
        check.exactlyOnce() ? "OK" : "FAILED"));
    b.append(String.format(Locale.ROOT, "    acked %d, failed %d, unacked at end %d; missing (acked, not delivered by the end of the drain) %d; duplicates %d (in %d messages); misrouted %d; delivered though unacked %d%n",
        check.acked(), check.failed(), check.unackedAtEnd(), check.missing(), check.duplicateDeliveries(),
        check.duplicateMessages(), check.misrouted(), check.deliveredUnacked()));
    return b.toString();
  }

  static void row(StringBuilder b, String name, Histogram h) {
    if (h.getTotalCount() == 0) {
      b.append(String.format(Locale.ROOT, "    %s %8d %8s %8s %8s %8s%n", name, 0, "-", "-", "-", "-"));
      return;
    }
    b.append(String.format(Locale.ROOT, "    %s %8d %8.1f %8.1f %8.1f %8.1f%n", name, h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0));
  }
}
