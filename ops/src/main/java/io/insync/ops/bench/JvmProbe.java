package io.insync.ops.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looks at other local processes: which pid listens on a port ({@code ss -ltnp}), a JVM's
 * heap after a full GC ({@code jcmd}), a process's CPU time ({@code /proc/PID/stat}).
 */
public final class JvmProbe {
  private static final Pattern SS_PID = Pattern.compile("pid=(\\d+)");
  // G1: " garbage-first heap   total 262144K, used 21504K [0x..."; Parallel/Serial list
  // generations, each "total NK, used NK" -- the first "heap ... used" line is the whole heap
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total\\s+(\\d+)([KMG]), used (\\d+)([KMG])");
  private static final Pattern GEN_USED = Pattern.compile("total\\s+(\\d+)([KMG]), used (\\d+)([KMG])");

  private JvmProbe() {}

  /** The pid of the process listening on TCP {@code port}, from {@code ss -ltnpH}. */
  public static OptionalLong pidListeningOn(int port) throws IOException, InterruptedException {
    String out = run(List.of("ss", "-ltnpH", "sport = :" + port), 10);
    return parseSsPid(out);
  }

  static OptionalLong parseSsPid(String ssOutput) {
    for (String line : ssOutput.split("\n")) {
      Matcher m = SS_PID.matcher(line);
      if (m.find()) return OptionalLong.of(Long.parseLong(m.group(1)));
    }
    return OptionalLong.empty();
  }

  /** Forces a full GC in {@code pid} ({@code jcmd PID GC.run}, i.e. System.gc()). */
  public static void fullGc(long pid) throws IOException, InterruptedException {
    run(List.of(jcmd(), Long.toString(pid), "GC.run"), 120);
  }

  /** Heap used in bytes, from {@code jcmd PID GC.heap_info}. */
  public static long heapUsed(long pid) throws IOException, InterruptedException {
    String out = run(List.of(jcmd(), Long.toString(pid), "GC.heap_info"), 60);
    return parseHeapUsed(out);
  }

  /** Parses the heap used (bytes) out of GC.heap_info output. */
  static long parseHeapUsed(String heapInfo) {
    Matcher m = HEAP_USED.matcher(heapInfo);
    if (m.find()) return bytes(m.group(3), m.group(4));
    // collectors that print generations only: add them up (young + old)
    long sum = 0;
    boolean any = false;
    for (String line : heapInfo.split("\n")) {
      String t = line.trim();
      if (t.startsWith("Metaspace") || t.startsWith("class space")) continue;
      Matcher g = GEN_USED.matcher(t);
      if (g.find() && (t.startsWith("PSYoungGen") || t.startsWith("ParOldGen") || t.startsWith("def new generation")
          || t.startsWith("tenured generation"))) {
        sum += bytes(g.group(3), g.group(4));
        any = true;
      }
    }
    if (!any) throw new IllegalArgumentException("no heap usage in GC.heap_info output:\n" + heapInfo);
    return sum;
  }

  private static long bytes(String n, String unit) {
    long v = Long.parseLong(n);
    return switch (unit) {
      case "K" -> v * 1024;
      case "M" -> v * 1024 * 1024;
      case "G" -> v * 1024 * 1024 * 1024;
      default -> v;
    };
  }

  /** User+system CPU time of {@code pid} in milliseconds, or -1 if unreadable. */
  public static long cpuMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      return parseStatCpuTicks(stat) * 1000 / 100; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime (clock ticks) from a /proc/PID/stat line (the command may contain spaces). */
  static long parseStatCpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    String[] f = stat.substring(close + 2).trim().split("\\s+");
    // after "pid (comm) ": state is field 3; utime field 14, stime field 15 -> indexes 11, 12
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static String jcmd() {
    Path p = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return Files.isExecutable(p) ? p.toString() : "jcmd";
  }

  private static String run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroy();
      throw new IOException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
    }
    String s = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + s);
    return s;
  }
}
