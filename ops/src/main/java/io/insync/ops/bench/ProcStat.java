package io.insync.ops.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What the bench reads from {@code /proc}: a process's CPU time ({@code /proc/PID/stat}), its
 * command line ({@code /proc/PID/cmdline}), which processes are an insync node or Cassandra, and
 * the machine's CPU model ({@code /proc/cpuinfo}). The parsers are pure functions of the text, so
 * they are tested without a /proc.
 */
public final class ProcStat {
  /** Cassandra's main class, as the launcher starts it. */
  public static final String CASSANDRA_MAIN = "org.apache.cassandra.service.CassandraDaemon";

  /** The subcommands of bin/insync that run a node in their own JVM ({@code up} runs it in-process). */
  static final List<String> NODE_SUBCOMMANDS = List.of("up", "node");

  private static final Path PROC = Path.of("/proc");

  private ProcStat() {}

  /** A kind of process the bench measures. */
  public enum Kind { NODE, CASSANDRA }

  // ------------------------------------------------------------------ CPU time

  /** utime + stime in clock ticks from one {@code /proc/PID/stat} line (the command may hold spaces and ')'). */
  public static long parseCpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 > stat.length()) throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
    String[] f = stat.substring(close + 2).trim().split("\\s+");
    // after "pid (comm) " come state (field 3), ... utime (field 14), stime (field 15): indexes 11, 12
    if (f.length < 13) throw new IllegalArgumentException("too few fields in /proc/PID/stat: " + stat);
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** utime + stime of {@code pid} in clock ticks, or empty if the process is gone or unreadable. */
  public static OptionalLong cpuTicks(long pid) {
    try {
      return OptionalLong.of(parseCpuTicks(Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.US_ASCII)));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  private static volatile long clockTicks;

  /** Clock ticks per second ({@code getconf CLK_TCK}; 100, Linux's USER_HZ, if that fails). */
  public static long clockTicksPerSecond() {
    long t = clockTicks;
    if (t > 0) return t;
    t = 100;
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) t = parseClockTicks(out);
    } catch (IOException | RuntimeException e) {
      // keep 100
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clockTicks = t;
    return t;
  }

  /** {@code getconf CLK_TCK}'s output, or 100 if it is not a positive number. */
  static long parseClockTicks(String out) {
    try {
      long v = Long.parseLong(out.trim());
      return v > 0 ? v : 100;
    } catch (NumberFormatException e) {
      return 100;
    }
  }

  // ------------------------------------------------------------------ command lines, finding processes

  /** The arguments of a {@code /proc/PID/cmdline} (NUL-separated, usually NUL-terminated). */
  public static List<String> parseCmdline(byte[] raw) {
    List<String> args = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= raw.length; i++) {
      if (i == raw.length || raw[i] == 0) {
        if (i > from) args.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
        from = i + 1;
      }
    }
    return args;
  }

  /**
   * What a command line runs: {@link Kind#CASSANDRA} if Cassandra's main class is an argument;
   * {@link Kind#NODE} for a JVM running the insync jar ({@code -jar .../insync.jar}) with the
   * {@code up} or {@code node} subcommand; otherwise null (bin/insync bench, send, ... and
   * everything else).
   */
  public static Kind classify(List<String> args) {
    if (args.isEmpty()) return null;
    if (args.contains(CASSANDRA_MAIN)) return Kind.CASSANDRA;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!isInsyncJar(a)) continue;
      // the subcommand: the first argument after the jar that is neither an option nor the main class
      for (int j = i + 1; j < args.size(); j++) {
        String next = args.get(j);
        if (next.startsWith("-") || next.startsWith("io.insync.")) continue;
        return NODE_SUBCOMMANDS.contains(next) ? Kind.NODE : null;
      }
      return null;
    }
    return null;
  }

  private static boolean isInsyncJar(String arg) {
    String name = arg.substring(arg.lastIndexOf('/') + 1);
    return name.equals("insync.jar");
  }

  /** The pids among {@code cmdlines} (pid to arguments) whose command line is of {@code kind}, in pid order. */
  public static List<Long> candidates(Map<Long, List<String>> cmdlines, Kind kind, long self) {
    List<Long> out = new ArrayList<>();
    new TreeMap<>(cmdlines).forEach((pid, args) -> {
      if (pid != self && classify(args) == kind) out.add(pid);
    });
    return out;
  }

  /**
   * The one process of {@code kind}: {@code explicit} if given, else the only candidate; empty if
   * there is none. Several candidates are refused, naming them and the flag that picks one.
   */
  public static OptionalLong pick(List<Long> candidates, Kind kind, String flag) {
    if (candidates.isEmpty()) return OptionalLong.empty();
    if (candidates.size() > 1) {
      throw new IllegalArgumentException("found " + candidates.size() + " " + describe(kind) + " processes (pids "
          + candidates + "); pass " + flag + " PID to say which one to measure");
    }
    return OptionalLong.of(candidates.get(0));
  }

  static String describe(Kind kind) {
    return kind == Kind.NODE ? "insync node (bin/insync up/node)" : "Cassandra (" + CASSANDRA_MAIN + ")";
  }

  /** Every readable {@code /proc/PID/cmdline} of this machine. */
  public static Map<Long, List<String>> allCmdlines() {
    Map<Long, List<String>> out = new TreeMap<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path d : dirs) {
        try {
          List<String> args = parseCmdline(Files.readAllBytes(d.resolve("cmdline")));
          if (!args.isEmpty()) out.put(Long.parseLong(d.getFileName().toString()), args);
        } catch (IOException | RuntimeException e) {
          // gone meanwhile, or not ours to read
        }
      }
    } catch (IOException e) {
      // no /proc: nothing found
    }
    return out;
  }

  /** Finds the process of {@code kind} on this machine (see {@link #pick}). */
  public static OptionalLong find(Kind kind, String flag) {
    return pick(candidates(allCmdlines(), kind, ProcessHandle.current().pid()), kind, flag);
  }

  // ------------------------------------------------------------------ the machine

  /** The first "model name" of a {@code /proc/cpuinfo}, or "unknown". */
  public static String parseCpuModel(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
        String v = line.substring(colon + 1).trim();
        if (!v.isEmpty()) return v;
      }
    }
    return "unknown";
  }

  /** This machine's CPU model. */
  public static String cpuModel() {
    try {
      return parseCpuModel(Files.readString(PROC.resolve("cpuinfo"), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
