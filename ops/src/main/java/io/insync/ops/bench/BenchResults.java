package io.insync.ops.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The files a bench run leaves: {@code bench-results/<yyyyMMdd-HHmmss>-<scenario>.md} (tables for
 * people) and {@code .json} (the same figures for programs). Both hold the command line, the git
 * commit, the date, the machine, and per step the scenario's figures and the CPU each measured
 * process used in the step's measured window (% of one core and µs per message).
 */
public final class BenchResults {
  private static final DateTimeFormatter FILE_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static final String MEASURED_WINDOW = "the measured window";

  private BenchResults() {}

  /** The machine the run was on. */
  public record Machine(int cores, String cpuModel, String jdk) {
    public static Machine current() {
      return new Machine(Runtime.getRuntime().availableProcessors(), ProcStat.cpuModel(),
          System.getProperty("java.vm.name", "?") + " " + System.getProperty("java.runtime.version",
              System.getProperty("java.version", "?")) + " (" + System.getProperty("java.vm.vendor", "?") + ")");
    }

    String describe() {
      return String.format(Locale.ROOT, "%d cores, %s; %s", cores, cpuModel, jdk);
    }
  }

  /** What was run, where and when. {@code settings} says what the command line leaves to defaults. */
  public record Header(String scenario, String commandLine, String commit, Instant date, Machine machine,
      String settings) {}

  /**
   * One step of a run.
   *
   * @param columns Markdown column name to cell, in order (the same names for every step of a run)
   * @param json the step's figures as a JSON object
   * @param cpu what each process used during the step's measured window
   * @param messages what the CPU is divided by (delivered messages, inserts); 0: no per-message figure
   * @param perWhat what one message is, for the CPU table's header ("delivered message", "insert")
   * @param cpuWindow over what the CPU was measured
   */
  public record Step(String label, Map<String, String> columns, String json, List<CpuMeter.CpuUse> cpu,
      long messages, String perWhat, String cpuWindow) {
    public Step {
      columns = new LinkedHashMap<>(columns);
      cpu = List.copyOf(cpu);
    }
  }

  /** Where the two files went. */
  public record Written(Path markdown, Path json) {}

  // ------------------------------------------------------------------ steps of each scenario

  /** A one-to-one load step: CPU per message delivered in the measured window. */
  public static Step oneToOne(LoadReport r) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("target/s", num(r.targetRate(), 0));
    c.put("sent/s", num(r.sentPerSecond(), 0));
    c.put("acked/s", num(r.ackedPerSecond(), 0));
    c.put("delivered/s", num(r.deliveredPerSecond(), 0));
    c.put("send→ack p50 / p90 / p99 / p99.9 / max (ms)", percentiles(r.ackLatencyMicros()));
    c.put("send→delivered p50 / p90 / p99 / p99.9 / max (ms)", percentiles(r.deliverLatencyMicros()));
    c.put("errors", errors(r));
    c.put("journal writes/msg", r.journalWritesPerDelivered() < 0 ? "-" : num(r.journalWritesPerDelivered(), 2));
    DeliveryLedger.Check k = r.check();
    c.put("exactly once", k.exactlyOnce() ? "yes (" + num(k.sent(), 0) + " sent)"
        : String.format(Locale.ROOT, "NO: missing %,d, duplicated %,d, misrouted %,d (of %,d sent)", k.missing(),
            k.duplicateMessages(), k.misrouted(), k.sent()));
    return new Step(num(r.targetRate(), 0) + "/s", c, r.toJson(), r.cpuUse(), r.deliveredInWindow(),
        "delivered message", MEASURED_WINDOW);
  }

  /** A group step: CPU per post that reached every member in the measured window. */
  public static Step group(GroupReport r) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("members", num(r.members(), 0));
    c.put("target posts/s", num(r.targetRate(), 1));
    c.put("posted/s", num(r.perSecond(r.sentInWindow()), 1));
    c.put("reached all/s", num(r.perSecond(r.completedInWindow()), 1));
    c.put("send→ack p50 / p99 / max (ms)", shortPercentiles(r.ackLatencyMicros()));
    c.put("send→last member's notify p50 / p99 / max (ms)", shortPercentiles(r.lastNotifyLatencyMicros()));
    c.put("send→last member's sync p50 / p99 / max (ms)", shortPercentiles(r.lastSyncLatencyMicros()));
    c.put("send→each member's notify p50 / p99 (ms)", r.memberNotifyLatencyMicros().getTotalCount() == 0 ? "-"
        : ms(r.memberNotifyLatencyMicros().getValueAtPercentile(50)) + " / "
            + ms(r.memberNotifyLatencyMicros().getValueAtPercentile(99)));
    c.put("errors", errors(r.serverErrors(), r.sendErrors(), r.sendTimeouts(), r.disconnects()));
    c.put("journal writes/post", r.journalWritesPerPost() < 0 ? "-" : num(r.journalWritesPerPost(), 1));
    c.put("raw Cassandra inserts/s (same run)", r.baseline() == null ? "-" : num(r.baseline().insertsPerSecond(), 0));
    GroupReport.Check k = r.check();
    c.put("every member once", k.everyMemberOnce() ? "yes (" + num(k.sent(), 0) + " posts)"
        : String.format(Locale.ROOT, "NO: incomplete %,d, duplicates %,d, failed %,d, unacked %,d (of %,d posts)",
            k.incomplete(), k.duplicates(), k.failed(), k.unackedAtEnd(), k.sent()));
    return new Step(num(r.targetRate(), 1) + "/s", c, r.toJson(), r.cpuUse(), r.completedInWindow(),
        "post (reaching every member)", MEASURED_WINDOW);
  }

  /** The raw Cassandra insert probe: CPU per insert. */
  public static Step cassandraBaseline(CassandraBaseline.Report r) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("in flight", Integer.toString(r.settings().inFlight()));
    c.put("inserts/s", num(r.insertsPerSecond(), 0));
    c.put("p50 (ms)", num(r.p50Ms(), 2));
    c.put("p99 (ms)", num(r.p99Ms(), 2));
    c.put("max (ms)", num(r.maxMs(), 1));
    c.put("errors", num(r.errors(), 0));
    return new Step("raw inserts", c, r.toJson(), r.cpu(), r.inserts(), "insert", MEASURED_WINDOW);
  }

  /** Idle connections: no messages, so CPU is % of a core only (over the whole run). */
  public static Step idle(IdleBench.Report r, List<CpuMeter.CpuUse> cpu) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("connections", r.connected() + " of " + r.requested());
    c.put("nodes", String.valueOf(r.nodes().size()));
    c.put("heap per connection (bytes)", num(r.bytesPerConnection(), 0));
    c.put("live objects per connection (bytes)", num(r.liveBytesPerConnection(), 0));
    c.put("RSS per connection (bytes)", num(r.rssBytesPerConnection(), 0));
    c.put("node CPU per heartbeat (µs)", num(r.cpuMicrosPerHeartbeat(), 0));
    c.put("connect (s)", num(r.connectSeconds(), 1));
    c.put("settle (s)", num(r.settleSeconds(), 0));
    return new Step(r.requested() + " idle", c, r.toJson(), cpu, 0, "message",
        "the whole run (connect, idle, full GCs, close)");
  }

  static String percentiles(Histogram h) {
    if (h.getTotalCount() == 0) return "-";
    return ms(h.getValueAtPercentile(50)) + " / " + ms(h.getValueAtPercentile(90)) + " / "
        + ms(h.getValueAtPercentile(99)) + " / " + ms(h.getValueAtPercentile(99.9)) + " / " + ms(h.getMaxValue());
  }

  static String shortPercentiles(Histogram h) {
    if (h.getTotalCount() == 0) return "-";
    return ms(h.getValueAtPercentile(50)) + " / " + ms(h.getValueAtPercentile(99)) + " / " + ms(h.getMaxValue());
  }

  private static String ms(long micros) {
    double v = micros / 1000.0;
    return num(v, v < 10 ? 2 : v < 100 ? 1 : 0);
  }

  static String errors(LoadReport r) {
    return errors(r.serverErrors(), r.sendErrors(), r.sendTimeouts(), r.disconnects());
  }

  static String errors(Map<String, Long> serverErrors, long sendErrors, long sendTimeouts, long disconnects) {
    List<String> parts = new ArrayList<>();
    new TreeMap<>(serverErrors).forEach((code, n) -> parts.add(code + " " + num(n, 0)));
    if (sendErrors > 0) parts.add("send errors " + num(sendErrors, 0));
    if (sendTimeouts > 0) parts.add("timeouts " + num(sendTimeouts, 0));
    if (disconnects > 0) parts.add("disconnects " + num(disconnects, 0));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  static String num(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return "-";
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  // ------------------------------------------------------------------ rendering

  public static String markdown(Header h, List<Step> steps) {
    StringBuilder b = new StringBuilder();
    b.append("# insync bench: ").append(h.scenario()).append("\n\n");
    b.append("| | |\n| --- | --- |\n");
    b.append("| command | `").append(h.commandLine().replace("`", "'")).append("` |\n");
    b.append("| settings | ").append(cell(h.settings())).append(" |\n");
    b.append("| commit | ").append(cell(h.commit())).append(" |\n");
    b.append("| date | ").append(DateTimeFormatter.ISO_INSTANT.format(h.date().truncatedTo(ChronoUnit.SECONDS)))
        .append(" |\n");
    b.append("| machine | ").append(cell(h.machine().describe())).append(" |\n\n");
    if (steps.isEmpty()) {
      b.append("No step finished.\n");
      return b.toString();
    }
    b.append("## Results\n\n");
    List<String> names = new ArrayList<>(steps.get(0).columns().keySet());
    b.append("| step |");
    for (String n : names) b.append(' ').append(cell(n)).append(" |");
    b.append("\n| --- |");
    for (String n : names) b.append(" ---: |");
    b.append('\n');
    for (Step s : steps) {
      b.append("| ").append(cell(s.label())).append(" |");
      for (String n : names) b.append(' ').append(cell(s.columns().getOrDefault(n, ""))).append(" |");
      b.append('\n');
    }
    Set<String> roles = new LinkedHashSet<>();
    Map<String, Long> pids = new LinkedHashMap<>();
    for (Step s : steps) {
      for (CpuMeter.CpuUse u : s.cpu()) {
        roles.add(u.role());
        pids.putIfAbsent(u.role(), u.pid());
      }
    }
    if (!roles.isEmpty()) {
      String per = steps.get(0).perWhat();
      boolean perMessage = steps.stream().anyMatch(s -> s.messages() > 0);
      b.append("\n## CPU during ").append(steps.get(0).cpuWindow()).append("\n\n");
      b.append("utime+stime from /proc/PID/stat; % of one core (this machine has ")
          .append(h.machine().cores() * 100).append(" %)");
      if (perMessage) b.append(", and µs of CPU per ").append(per);
      b.append(". Processes: ");
      List<String> ps = new ArrayList<>();
      pids.forEach((r, p) -> ps.add(r + " pid " + p));
      b.append(String.join(", ", ps)).append(".\n\n");
      b.append("| step |");
      for (String r : roles) {
        b.append(' ').append(r).append(" % core |");
        if (perMessage) b.append(' ').append(r).append(" µs/msg |");
      }
      if (perMessage) b.append(" all µs/msg |");
      b.append("\n| --- |");
      for (String r : roles) b.append(perMessage ? " ---: | ---: |" : " ---: |");
      if (perMessage) b.append(" ---: |");
      b.append('\n');
      for (Step s : steps) {
        b.append("| ").append(cell(s.label())).append(" |");
        double all = 0;
        boolean any = false;
        for (String r : roles) {
          CpuMeter.CpuUse u = s.cpu().stream().filter(x -> x.role().equals(r)).findFirst().orElse(null);
          b.append(' ').append(u == null ? "-" : num(u.percentOfCore(), 0)).append(" |");
          if (perMessage) {
            double us = u == null ? Double.NaN : u.microsPerMessage(s.messages());
            b.append(' ').append(num(us, 0)).append(" |");
            if (!Double.isNaN(us)) {
              all += us;
              any = true;
            }
          }
        }
        if (perMessage) b.append(' ').append(any ? num(all, 0) : "-").append(" |");
        b.append('\n');
      }
    }
    return b.toString();
  }

  public static String json(Header h, List<Step> steps) {
    List<JsonOut> items = new ArrayList<>();
    for (Step s : steps) {
      JsonOut cpu = new JsonOut();
      for (CpuMeter.CpuUse u : s.cpu()) {
        cpu.put(u.role(), new JsonOut()
            .put("pid", u.pid())
            .put("cpu_s", u.cpuSeconds())
            .put("window_s", u.windowSeconds())
            .put("percent_of_core", u.percentOfCore())
            .put("us_per_message", u.microsPerMessage(s.messages())));
      }
      items.add(new JsonOut()
          .put("label", s.label())
          .put("messages", s.messages())
          .put("per", s.perWhat())
          .putRaw("result", s.json())
          .put("cpu", cpu));
    }
    return new JsonOut()
        .put("scenario", h.scenario())
        .put("command", h.commandLine())
        .put("settings", h.settings())
        .put("commit", h.commit())
        .put("date", DateTimeFormatter.ISO_INSTANT.format(h.date().truncatedTo(ChronoUnit.SECONDS)))
        .put("machine", new JsonOut()
            .put("cores", h.machine().cores())
            .put("cpu_model", h.machine().cpuModel())
            .put("jdk", h.machine().jdk()))
        .putArray("steps", items)
        .toString();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  /** {@code <yyyyMMdd-HHmmss>-<scenario>} (UTC). */
  static String baseName(Header h) {
    return FILE_STAMP.format(h.date()) + "-" + h.scenario();
  }

  /** Writes both files into {@code dir} (created if missing). */
  public static Written write(Path dir, Header h, List<Step> steps) throws IOException {
    Files.createDirectories(dir);
    Path md = dir.resolve(baseName(h) + ".md");
    Path js = dir.resolve(baseName(h) + ".json");
    Files.writeString(md, markdown(h, steps), StandardCharsets.UTF_8);
    Files.writeString(js, json(h, steps) + "\n", StandardCharsets.UTF_8);
    return new Written(md, js);
  }

  /** {@code git rev-parse --short HEAD} in the working directory, or "unknown". */
  public static String gitCommit() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "unknown";
      }
      return p.exitValue() == 0 && out.matches("[0-9a-f]{4,40}") ? out : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
