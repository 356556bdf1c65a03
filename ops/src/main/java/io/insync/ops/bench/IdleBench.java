package io.insync.ops.bench;

import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Connection density: N idle authenticated connections (one user each, automatic sync on, then
 * idle except heartbeats), opened by K child load-generator JVMs (each at most
 * {@link #MAX_PER_PROCESS} connections, each binding its sockets to its own loopback source
 * address 127.0.0.(2+i)), spread round-robin over one or more nodes. Per node it measures heap
 * used after a full GC ({@code jcmd GC.run}, twice) and RSS ({@code /proc/PID/status} VmRSS)
 * before connecting, with the connections, and after closing them; and the node's CPU over an
 * idle window without connections and one with them, from which the CPU per heartbeat follows
 * (heartbeats in the window = connections x window / heartbeat interval, the interval the clients
 * are told to use). Bounded: every child stops itself when the parent goes away or after
 * {@code maxLife}.
 */
public final class IdleBench {
  /** Per load-generator process: it has at most 20,000 open files (each connection is one). */
  public static final int MAX_PER_PROCESS = 9_500;
  /** Source addresses 127.0.0.2 .. 127.0.0.17. */
  public static final int MAX_PROCESSES = 16;
  public static final int MAX_CONNECTIONS = MAX_PER_PROCESS * MAX_PROCESSES;

  public record Settings(List<InetSocketAddress> targets, List<Long> nodePids, int connections, int processes,
      Duration settle, Duration cpuWindow, Duration heartbeatInterval, int connectConcurrency, int ioThreads,
      String secret) {
    public Settings {
      targets = List.copyOf(targets);
      nodePids = List.copyOf(nodePids);
      if (targets.isEmpty()) throw new IllegalArgumentException("no target");
      if (nodePids.size() != targets.size()) throw new IllegalArgumentException("one node pid per target");
      if (processes < 1 || processes > MAX_PROCESSES) {
        throw new IllegalArgumentException("--processes must be between 1 and " + MAX_PROCESSES);
      }
      if (connections < 1 || connections > (long) processes * MAX_PER_PROCESS) {
        throw new IllegalArgumentException("--idle-connections must be between 1 and " + MAX_PER_PROCESS
            + " per process (--processes " + processes + ": at most " + processes * MAX_PER_PROCESS + ")");
      }
    }
  }

  /** One node's figures. */
  public record NodeFigures(long pid, int port, long heapBefore, long heapAfter, long heapAfterClose,
      long rssBefore, long rssAfter, long cpuMsIdle, long cpuMsConnected, long liveBefore, long liveAfter, long entitiesLive) {}

  public record Report(int requested, int connected, int processes, double connectSeconds, double settleSeconds,
      double windowSeconds, double heartbeatSeconds, List<NodeFigures> nodes) {
    public Report {
      nodes = List.copyOf(nodes);
    }

    long sum(java.util.function.ToLongFunction<NodeFigures> f) {
      return nodes.stream().mapToLong(f).sum();
    }

    public double bytesPerConnection() {
      return connected == 0 ? Double.NaN : (double) (sum(NodeFigures::heapAfter) - sum(NodeFigures::heapBefore)) / connected;
    }

    /** From the class histograms' totals (live objects only, no region granularity). */
    public double liveBytesPerConnection() {
      return connected == 0 ? Double.NaN : (double) (sum(NodeFigures::liveAfter) - sum(NodeFigures::liveBefore)) / connected;
    }

    public double rssBytesPerConnection() {
      return connected == 0 ? Double.NaN : (double) (sum(NodeFigures::rssAfter) - sum(NodeFigures::rssBefore)) / connected;
    }

    public double heartbeatsInWindow() {
      return connected * windowSeconds / heartbeatSeconds;
    }

    /** Node CPU (all nodes) over the window with connections, minus the same window without, per heartbeat. */
    public double cpuMicrosPerHeartbeat() {
      double extraMs = sum(NodeFigures::cpuMsConnected) - sum(NodeFigures::cpuMsIdle);
      return heartbeatsInWindow() == 0 ? Double.NaN : extraMs * 1000 / heartbeatsInWindow();
    }

    public String toJson() {
      StringBuilder ns = new StringBuilder("[");
      for (NodeFigures n : nodes) {
        if (ns.length() > 1) ns.append(',');
        ns.append(new JsonOut().put("pid", n.pid()).put("port", n.port()).put("heap_before_bytes", n.heapBefore())
            .put("heap_after_bytes", n.heapAfter()).put("heap_after_close_bytes", n.heapAfterClose())
            .put("rss_before_bytes", n.rssBefore()).put("rss_after_bytes", n.rssAfter())
            .put("cpu_ms_idle_window", n.cpuMsIdle()).put("cpu_ms_connected_window", n.cpuMsConnected())
            .put("live_before_bytes", n.liveBefore()).put("live_after_bytes", n.liveAfter())
            .put("user_entities_live", n.entitiesLive()).toString());
      }
      ns.append(']');
      String head = new JsonOut()
          .put("mode", "idle-connections")
          .put("requested", requested)
          .put("connected", connected)
          .put("processes", processes)
          .put("bytes_per_connection", bytesPerConnection())
          .put("live_bytes_per_connection", liveBytesPerConnection())
          .put("rss_bytes_per_connection", rssBytesPerConnection())
          .put("cpu_us_per_heartbeat", cpuMicrosPerHeartbeat())
          .put("heartbeats_in_window", heartbeatsInWindow())
          .put("connect_s", connectSeconds)
          .put("settle_s", settleSeconds)
          .put("window_s", windowSeconds)
          .put("heartbeat_s", heartbeatSeconds)
          .toString();
      return head.substring(0, head.length() - 1) + ",\"nodes\":" + ns + "}";
    }

    public String toTable() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "insync bench --idle-connections: %d of %d authenticated over %d node(s), "
              + "%d load-generator process(es) (connected in %.1f s, then idle %.0f s)%n",
          connected, requested, nodes.size(), processes, connectSeconds, settleSeconds));
      for (NodeFigures n : nodes) {
        b.append(String.format(Locale.ROOT, "  node pid %d (port %d): heap after full GC %.1f -> %.1f MiB "
                + "(after closing %.1f), RSS %.1f -> %.1f MiB, CPU over %.0f s %d ms idle / %d ms connected, "
                + "%d user entities live with the connections%n",
            n.pid(), n.port(), mib(n.heapBefore()), mib(n.heapAfter()), mib(n.heapAfterClose()), mib(n.rssBefore()),
            mib(n.rssAfter()), windowSeconds, n.cpuMsIdle(), n.cpuMsConnected(), n.entitiesLive()));
      }
      b.append(String.format(Locale.ROOT, "  heap per idle connection: %.0f bytes (%.2f KiB)%n", bytesPerConnection(),
          bytesPerConnection() / 1024));
      b.append(String.format(Locale.ROOT, "  live objects per idle connection (class histogram totals): %.0f bytes%n",
          liveBytesPerConnection()));
      b.append(String.format(Locale.ROOT, "  RSS per idle connection: %.0f bytes (%.2f KiB)%n", rssBytesPerConnection(),
          rssBytesPerConnection() / 1024));
      b.append(String.format(Locale.ROOT, "  CPU per heartbeat: %.1f us (%.0f heartbeats in %.0f s, every %.0f s per "
          + "connection; node CPU with connections minus without)%n", cpuMicrosPerHeartbeat(), heartbeatsInWindow(),
          windowSeconds, heartbeatSeconds));
      return b.toString();
    }

    private static double mib(long bytes) {
      return bytes / 1048576.0;
    }
  }

  private final Settings s;
  private final PrintStream log;

  public IdleBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.log = progress;
  }

  public Report run() throws Exception {
    String run = Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36);
    int nodes = s.targets().size();
    long[] heapBefore = new long[nodes];
    long[] rssBefore = new long[nodes];
    long[] liveBefore = new long[nodes];
    for (int i = 0; i < nodes; i++) {
      heapBefore[i] = gcAndMeasure(s.nodePids().get(i));
      liveBefore[i] = liveBytes(s.nodePids().get(i));
      rssBefore[i] = rss(s.nodePids().get(i));
      log.printf("idle %s: node %d heap after full GC %.1f MiB, RSS %.1f MiB%n", run, s.nodePids().get(i),
          heapBefore[i] / 1048576.0, rssBefore[i] / 1048576.0);
    }
    log.printf("  node CPU over %d s without connections ...%n", s.cpuWindow().toSeconds());
    long[] cpuIdle = cpuOver(s.cpuWindow());

    List<Child> children = new ArrayList<>();
    try {
      long t0 = System.nanoTime();
      int per = s.connections() / s.processes();
      int extra = s.connections() % s.processes();
      int first = 0;
      for (int p = 0; p < s.processes(); p++) {
        int n = per + (p < extra ? 1 : 0);
        children.add(Child.spawn(p, run, first, n, s, maxLife()));
        first += n;
      }
      log.printf("  %d load generators opening %d connections%n", children.size(), s.connections());
      int failed = 0;
      for (Child c : children) failed += c.awaitConnected(Duration.ofMinutes(20));
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      log.printf("  connected in %.1f s (%d failed); idling %d s%n", connectSeconds, failed, s.settle().toSeconds());
      Thread.sleep(s.settle().toMillis());
      int connectedBefore = count(children);
      log.printf("  %d connected; node CPU over %d s with them ...%n", connectedBefore, s.cpuWindow().toSeconds());
      long[] cpuConnected = cpuOver(s.cpuWindow());
      long[] heapAfter = new long[nodes];
      long[] rssAfter = new long[nodes];
      long[] liveAfter = new long[nodes];
      long[] entities = new long[nodes];
      for (int i = 0; i < nodes; i++) {
        heapAfter[i] = gcAndMeasure(s.nodePids().get(i));
        rssAfter[i] = rss(s.nodePids().get(i));
        String histogram = histogram(s.nodePids().get(i));
        liveAfter[i] = parseHistogramTotal(histogram);
        entities[i] = parseInstances(histogram, "io.insync.persistence.user.UserEntity");
      }
      int connectedAfter = count(children);
      log.printf("  %d connected after the measurement%n", connectedAfter);
      for (Child c : children) c.close();
      children.clear();
      Thread.sleep(3000);
      List<NodeFigures> figures = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        long afterClose = gcAndMeasure(s.nodePids().get(i));
        figures.add(new NodeFigures(s.nodePids().get(i), s.targets().get(i).getPort(), heapBefore[i], heapAfter[i],
            afterClose, rssBefore[i], rssAfter[i], cpuIdle[i], cpuConnected[i], liveBefore[i], liveAfter[i], entities[i]));
      }
      return new Report(s.connections(), Math.min(connectedBefore, connectedAfter), s.processes(), connectSeconds,
          s.settle().toMillis() / 1000.0, s.cpuWindow().toMillis() / 1000.0, s.heartbeatInterval().toMillis() / 1000.0,
          figures);
    } finally {
      for (Child c : children) c.kill();
    }
  }

  /** How long a child may live at most, whatever happens to this process. */
  private Duration maxLife() {
    return Duration.ofMinutes(30).plus(s.settle()).plus(s.cpuWindow().multipliedBy(2));
  }

  private long[] cpuOver(Duration window) throws InterruptedException {
    int n = s.nodePids().size();
    long[] start = new long[n];
    for (int i = 0; i < n; i++) start[i] = JvmProbe.cpuMillis(s.nodePids().get(i));
    Thread.sleep(window.toMillis());
    long[] used = new long[n];
    for (int i = 0; i < n; i++) used[i] = JvmProbe.cpuMillis(s.nodePids().get(i)) - start[i];
    return used;
  }

  private static int count(List<Child> children) throws IOException {
    int n = 0;
    for (Child c : children) n += c.connected();
    return n;
  }

  /** Two full GCs (the second collects what the first only made unreachable, e.g. finalizable objects), then heap used. */
  private static long gcAndMeasure(long pid) throws Exception {
    JvmProbe.fullGc(pid);
    JvmProbe.fullGc(pid);
    return JvmProbe.heapUsed(pid);
  }

  /** Bytes of live objects in {@code pid}: the "Total" line of {@code jcmd PID GC.class_histogram} (a full GC first). */
  static long liveBytes(long pid) throws IOException, InterruptedException {
    return parseHistogramTotal(histogram(pid));
  }

  /** {@code jcmd PID GC.class_histogram} (a full GC first). */
  static String histogram(long pid) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid),
        "GC.class_histogram").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("jcmd GC.class_histogram failed: " + out);
    return out;
  }

  /** Instances of exactly {@code className} in a class histogram (0 if absent). */
  static long parseInstances(String histogram, String className) {
    for (String line : histogram.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":") && f[3].equals(className)) return Long.parseLong(f[1]);
    }
    return 0;
  }

  static long parseHistogramTotal(String histogram) {
    for (String line : histogram.split("\n")) {
      String t = line.trim();
      if (t.startsWith("Total")) {
        String[] f = t.split("\\s+");
        return Long.parseLong(f[2]);
      }
    }
    throw new IllegalArgumentException("no Total line in the class histogram");
  }

  /** VmRSS of {@code pid} in bytes, from /proc/PID/status. */
  static long rss(long pid) throws IOException {
    return parseVmRss(Files.readString(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII));
  }

  static long parseVmRss(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] f = line.substring(6).trim().split("\\s+");
        return Long.parseLong(f[0]) * 1024; // always kB
      }
    }
    throw new IllegalArgumentException("no VmRSS line in /proc/PID/status");
  }

  /** The loopback source address of load generator {@code index}: 127.0.0.(2 + index). */
  static InetAddress sourceAddress(int index) throws IOException {
    if (index < 0 || index >= MAX_PROCESSES) throw new IllegalArgumentException("process index " + index);
    return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + index)});
  }

  // ------------------------------------------------------------------ the child processes

  /** A child load generator seen from the parent: a line protocol on its stdin/stdout. */
  private static final class Child {
    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;

    private Child(Process process) {
      this.process = process;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    static Child spawn(int index, String run, int firstUser, int n, Settings s, Duration maxLife) throws IOException {
      StringBuilder targets = new StringBuilder();
      for (InetSocketAddress t : s.targets()) {
        if (targets.length() > 0) targets.append(',');
        targets.append(t.getHostString()).append(':').append(t.getPort());
      }
      List<String> cmd = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx1g", "-XX:+UseSerialGC", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
          "-cp", System.getProperty("java.class.path"), IdleBench.class.getName(),
          "--index", Integer.toString(index), "--run", run, "--first-user", Integer.toString(firstUser),
          "--connections", Integer.toString(n), "--targets", targets.toString(),
          "--heartbeat-ms", Long.toString(s.heartbeatInterval().toMillis()),
          "--concurrency", Integer.toString(Math.max(1, s.connectConcurrency() / s.processes())),
          "--io-threads", Integer.toString(s.ioThreads()),
          "--max-life-s", Long.toString(maxLife.toSeconds())));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().put("INSYNC_TOKEN_SECRET", s.secret()); // not on the command line
      return new Child(pb.start());
    }

    /** Waits for the child's "connected OK FAILED" line; returns FAILED. */
    int awaitConnected(Duration timeout) throws IOException {
      String line = readLine(timeout);
      if (line == null || !line.startsWith("connected ")) throw new IOException("load generator said: " + line);
      return Integer.parseInt(line.split(" ")[2]);
    }

    int connected() throws IOException {
      in.println("count");
      String line = readLine(Duration.ofSeconds(60));
      if (line == null || !line.startsWith("count ")) throw new IOException("load generator said: " + line);
      return Integer.parseInt(line.substring(6).trim());
    }

    void close() throws InterruptedException {
      in.println("close");
      if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
    }

    void kill() {
      if (process.isAlive()) process.destroyForcibly();
    }

    private String readLine(Duration timeout) throws IOException {
      CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (IOException e) {
          return null;
        }
      }, r -> new Thread(r, "idle-child-reader").start());
      try {
        return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        process.destroyForcibly();
        throw new IOException("load generator did not answer within " + timeout, e);
      }
    }
  }

  /**
   * A child load generator: opens its connections (users {@code idle<run>u<first..first+n>}, user
   * i to target i mod T), bound to 127.0.0.(2 + index); prints "connected OK FAILED"; then answers
   * "count" with "count N" (clients connected now) and stops on "close", on the end of its stdin
   * (the parent is gone), or after --max-life-s.
   */
  public static void main(String[] args) throws Exception {
    int index = 0;
    String run = "x";
    int first = 0;
    int n = 0;
    List<InetSocketAddress> targets = new ArrayList<>();
    Duration heartbeat = Duration.ofSeconds(30);
    int concurrency = 100;
    int ioThreads = 2;
    long maxLife = 3600;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--index" -> index = Integer.parseInt(v);
        case "--run" -> run = v;
        case "--first-user" -> first = Integer.parseInt(v);
        case "--connections" -> n = Integer.parseInt(v);
        case "--targets" -> {
          for (String t : v.split(",")) {
            int colon = t.lastIndexOf(':');
            targets.add(new InetSocketAddress(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1))));
          }
        }
        case "--heartbeat-ms" -> heartbeat = Duration.ofMillis(Long.parseLong(v));
        case "--concurrency" -> concurrency = Integer.parseInt(v);
        case "--io-threads" -> ioThreads = Integer.parseInt(v);
        case "--max-life-s" -> maxLife = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (n < 1 || n > MAX_PER_PROCESS || targets.isEmpty()) throw new IllegalArgumentException("bad child arguments");
    String secret = System.getenv("INSYNC_TOKEN_SECRET");
    TokenSigner signer = TokenSigner.fromSecret(secret != null && !secret.isEmpty() ? secret : TokenSigner.DEV_SECRET);
    InetAddress source = sourceAddress(index);
    AtomicBoolean done = new AtomicBoolean();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxLife);
    Thread lifeGuard = new Thread(() -> {
      while (System.nanoTime() < deadline && !done.get()) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
      if (!done.get()) {
        System.err.println("load generator " + source.getHostAddress() + ": max life reached, exiting");
        Runtime.getRuntime().halt(2);
      }
    }, "idle-child-life");
    lifeGuard.setDaemon(true);
    lifeGuard.start();

    EventLoopGroup group = new NioEventLoopGroup(ioThreads, new DefaultThreadFactory("bench-io", true));
    List<InsyncClient> clients = new ArrayList<>(n);
    PrintStream out = System.out;
    try {
      Semaphore permits = new Semaphore(concurrency);
      List<CompletableFuture<?>> all = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int u = first + i;
        InsyncClient c = InsyncClient.create(ClientOptions.builder()
            .address(targets.get(u % targets.size()))
            .localAddress(source)
            .token(signer.sign("idle" + run + "u" + u, "d0", Instant.now().plus(Duration.ofHours(6))))
            .autoSync(true)
            .syncKeyStore(new InMemorySyncKeyStore())
            .eventLoopGroup(group)
            .heartbeatInterval(heartbeat)
            .connectRetryTimeout(Duration.ofSeconds(120))
            .clientVersion("insync-bench-idle")
            .build());
        clients.add(c);
        permits.acquire();
        all.add(c.connect().whenComplete((ok, err) -> permits.release()));
      }
      int failed = 0;
      for (CompletableFuture<?> f : all) {
        try {
          f.get(300, TimeUnit.SECONDS);
        } catch (Exception e) {
          failed++;
        }
      }
      out.println("connected " + (n - failed) + " " + failed);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("count")) {
          out.println("count " + clients.stream().filter(InsyncClient::isConnected).count());
          out.flush();
        } else if (line.equals("close")) {
          break;
        }
      }
    } finally {
      for (InsyncClient c : clients) c.close();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      done.set(true);
    }
  }
}
