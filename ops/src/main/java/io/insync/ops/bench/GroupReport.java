package io.insync.ops.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The outcome of a group run: rates over the measured window, latencies from each post's
 * scheduled send time (microseconds) to its ack, to each member's notify, to the last member's
 * notify and to the last member's sync of it, errors, the every-member-once verdict, CPU, journal
 * writes, and the raw Cassandra baseline measured in the same run (null if skipped).
 */
public record GroupReport(
    String run,
    String server,
    int members,
    int senders,
    double targetRate,
    double warmupSeconds,
    double measuredSeconds,
    int payloadBytes,
    long sentInWindow,
    long ackedInWindow,
    long completedInWindow,
    Histogram ackLatencyMicros,
    Histogram memberNotifyLatencyMicros,
    Histogram lastNotifyLatencyMicros,
    Histogram lastSyncLatencyMicros,
    long sendErrors,
    long sendTimeouts,
    long disconnects,
    Map<String, Long> serverErrors,
    long maxSendLagMicros,
    Check check,
    Map<String, Double> cpuPercent,
    List<CpuMeter.CpuUse> cpuUse,
    long journalWritesInWindow,
    CassandraBaseline.Report baseline) {

  public GroupReport {
    cpuUse = List.copyOf(cpuUse);
  }

  /**
   * Over every post sent. {@code complete}: reached every member; {@code incomplete}: acked, but some
   * member did not have it by the end of the drain; {@code duplicates}: a member got a post again;
   * {@code syncedBeforeNotify}: member deliveries that arrived before a notify covering them (their
   * notify time is their arrival).
   */
  public record Check(long sent, long acked, long failed, long unackedAtEnd, long complete, long incomplete,
      long duplicates, long memberDeliveries, long syncedBeforeNotify) {
    public boolean everyMemberOnce() {
      return incomplete == 0 && duplicates == 0 && failed == 0 && unackedAtEnd == 0;
    }
  }

  /** The same report with the same run's baseline. */
  public GroupReport withBaseline(CassandraBaseline.Report b) {
    return new GroupReport(run, server, members, senders, targetRate, warmupSeconds, measuredSeconds, payloadBytes,
        sentInWindow, ackedInWindow, completedInWindow, ackLatencyMicros, memberNotifyLatencyMicros,
        lastNotifyLatencyMicros, lastSyncLatencyMicros, sendErrors, sendTimeouts, disconnects, serverErrors,
        maxSendLagMicros, check, cpuPercent, cpuUse, journalWritesInWindow, b);
  }

  /** Journal writes per post that reached every member in the window; negative when not measured. */
  public double journalWritesPerPost() {
    return journalWritesInWindow < 0 || completedInWindow == 0 ? -1 : (double) journalWritesInWindow / completedInWindow;
  }

  /** The same per member delivery (post x member). */
  public double journalWritesPerMemberDelivery() {
    double perPost = journalWritesPerPost();
    return perPost < 0 ? -1 : perPost / members;
  }

  /** {@code n} events of the measured window, per second. */
  public double perSecond(long n) {
    return measuredSeconds > 0 ? n / measuredSeconds : 0;
  }

  public String toJson() {
    JsonOut verdict = LoadReport.sendsJson(check.sent(), check.acked(), check.failed(), check.unackedAtEnd())
        .put("complete", check.complete())
        .put("incomplete", check.incomplete())
        .put("duplicates", check.duplicates())
        .put("member_deliveries", check.memberDeliveries())
        .put("synced_before_notify", check.syncedBeforeNotify())
        .put("every_member_once", check.everyMemberOnce());
    JsonOut j = new JsonOut()
        .put("mode", "group")
        .put("run", run)
        .put("server", server)
        .put("members", members)
        .put("senders", senders)
        .put("target_rate", targetRate)
        .put("warmup_s", warmupSeconds)
        .put("measured_s", measuredSeconds)
        .put("payload_bytes", payloadBytes)
        .put("sent_per_s", perSecond(sentInWindow))
        .put("acked_per_s", perSecond(ackedInWindow))
        .put("complete_per_s", perSecond(completedInWindow))
        .put("send_to_ack", LoadReport.latency(ackLatencyMicros))
        .put("send_to_member_notify", LoadReport.latency(memberNotifyLatencyMicros))
        .put("send_to_last_notify", LoadReport.latency(lastNotifyLatencyMicros))
        .put("send_to_last_sync", LoadReport.latency(lastSyncLatencyMicros))
        .put("send_errors", sendErrors)
        .put("send_timeouts", sendTimeouts)
        .put("disconnects", disconnects)
        .put("server_errors", new JsonOut().putAll(new TreeMap<>(serverErrors)))
        .put("max_send_lag_ms", maxSendLagMicros / 1000.0)
        .put("cpu_percent", LoadReport.cpuJson(cpuPercent))
        .put("journal_writes", journalWritesInWindow)
        .put("journal_writes_per_post", journalWritesPerPost())
        .put("journal_writes_per_member_delivery", journalWritesPerMemberDelivery())
        .put("delivery_check", verdict);
    if (baseline != null) j.putRaw("cassandra_baseline", baseline.toJson());
    return j.toString();
  }

  public String toTable() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "insync bench %s: group of %d online members, %d sender(s), target %.1f posts/s, "
            + "%.0f s measured after %.0f s warm-up, %d-byte payload, server %s%n", run, members, senders, targetRate,
        measuredSeconds, warmupSeconds, payloadBytes, server));
    b.append(String.format(Locale.ROOT, "%n  rates (mean over the measured window)%n"));
    b.append(String.format(Locale.ROOT, "    posted                %10.1f /s%n", perSecond(sentInWindow)));
    b.append(String.format(Locale.ROOT, "    acked                 %10.1f /s%n", perSecond(ackedInWindow)));
    b.append(String.format(Locale.ROOT, "    reached every member  %10.1f /s (%,.0f member deliveries/s)%n",
        perSecond(completedInWindow), perSecond(completedInWindow) * members));
    b.append(String.format(Locale.ROOT, "%n  latency from scheduled send (ms)   count      p50      p99    p99.9      max%n"));
    LoadReport.row(b, "send -> SendAck                ", ackLatencyMicros);
    LoadReport.row(b, "send -> each member's notify   ", memberNotifyLatencyMicros);
    LoadReport.row(b, "send -> LAST member's notify   ", lastNotifyLatencyMicros);
    LoadReport.row(b, "send -> last member's sync     ", lastSyncLatencyMicros);
    b.append(String.format(Locale.ROOT, "%n  errors: %d send errors, %d send timeouts, %d disconnects, server errors %s; "
            + "sender fell behind schedule by at most %.1f ms%n", sendErrors, sendTimeouts, disconnects,
        serverErrors.isEmpty() ? "none" : new TreeMap<>(serverErrors), maxSendLagMicros / 1000.0));
    if (!cpuPercent.isEmpty()) {
      b.append("  CPU during the measured window (% of one core): ");
      new TreeMap<>(cpuPercent).forEach((k, v) -> b.append(String.format(Locale.ROOT, "%s %.0f%%  ", k, v)));
      b.append(String.format("%n"));
    }
    if (journalWritesInWindow >= 0) {
      b.append(String.format(Locale.ROOT, "  journal writes in the measured window: %d (%.1f per post, %.2f per member "
          + "delivery)%n", journalWritesInWindow, journalWritesPerPost(), journalWritesPerMemberDelivery()));
    }
    if (baseline != null) {
      b.append(String.format(Locale.ROOT, "  same-run Cassandra baseline: %,.0f raw inserts/s, p99 %.2f ms (%d in flight)%n",
          baseline.insertsPerSecond(), baseline.p99Ms(), baseline.settings().inFlight()));
    }
    b.append(String.format(Locale.ROOT, "%n  every member once, over all %d posts: %s%n", check.sent(),
        check.everyMemberOnce() ? "OK" : "FAILED"));
    b.append(String.format(Locale.ROOT, "    acked %d, failed %d, unacked at end %d; reached every member %d; incomplete "
            + "(acked, some member without it at the end of the drain) %d; duplicates %d; member deliveries %d (%d synced "
            + "before their notify)%n", check.acked(), check.failed(), check.unackedAtEnd(), check.complete(),
        check.incomplete(), check.duplicates(), check.memberDeliveries(), check.syncedBeforeNotify()));
    return b.toString();
  }
}
