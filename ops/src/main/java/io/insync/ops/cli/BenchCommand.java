package io.insync.ops.cli;

import io.insync.ops.bench.BenchResults;
import io.insync.ops.bench.BenchScenario;
import io.insync.ops.bench.CassandraBaseline;
import io.insync.ops.bench.CpuMeter;
import io.insync.ops.bench.GroupBench;
import io.insync.ops.bench.GroupReport;
import io.insync.ops.bench.IdleBench;
import io.insync.ops.bench.JvmProbe;
import io.insync.ops.bench.JournalWrites;
import io.insync.ops.bench.LoadBench;
import io.insync.ops.bench.LoadReport;
import io.insync.ops.bench.ProcStat;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/insync bench [SCENARIO]}: a bounded load generator against a running system (see
 * io.insync.ops.bench). Scenarios: {@code one-to-one} (throughput steps of 1:1 messages),
 * {@code group} (posts to one group of online members), {@code cassandra-baseline} (raw Cassandra
 * inserts) and {@code idle} (heap per idle connection). Without a scenario the old flags choose: {@code --cassandra-baseline},
 * {@code --idle-connections N}, else one one-to-one step at {@code --rate}. Every run writes
 * {@code bench-results/<yyyyMMdd-HHmmss>-<scenario>.md} and {@code .json} (see BenchResults).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Benchmark a running system. SCENARIO is one of: one-to-one, group, cassandra-baseline, idle (without one, the "
            + "flags choose: --cassandra-baseline, --idle-connections N, else one one-to-one step at --rate). Every run "
            + "writes a Markdown table and a JSON file under --results-dir (bench-results/<yyyyMMdd-HHmmss>-<scenario>"
            + ".md/.json) with the command, commit, date, machine and per step the figures and the CPU of node, "
            + "Cassandra and this bench (%% of a core, µs per message).",
        "one-to-one: connects --users users (one device each, auto sync on) and sends 1:1 messages "
            + "between random distinct users at a fixed rate (open loop: latency counts from each message's scheduled "
            + "send time). Reports sent/acked/delivered per second, send->SendAck and send->delivered (recipient's "
            + "onItems) latency, errors, and checks that every acked message was delivered exactly once.",
        "group: connects --members users (one device each, auto sync on), creates one group of them all, waits until "
            + "each has the group's creation, then posts to it from --senders of them in turn at a fixed rate (--rate "
            + "posts/s, open loop). Reports send->SendAck, send->each member's notify, send->LAST member's notify and "
            + "send->last member's sync of the post (p50/p99/max), journal writes per post, CPU, and a raw Cassandra "
            + "baseline run first (--baseline-duration); checks that every post reached every member once.",
        "Idle mode (--idle-connections N): node heap and RSS per idle authenticated connection (full GC via jcmd "
            + "before and after opening N connections) and node CPU per heartbeat; the connections come from "
            + "--processes child JVMs (each at most " + IdleBench.MAX_PER_PROCESS + ", bound to 127.0.0.2, .3, ...) "
            + "and are spread over --targets."})
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO",
      description = "one-to-one, group, cassandra-baseline or idle (default: chosen by the flags, see above)")
  String scenarioName;

  @Option(names = "--rates", paramLabel = "R1,R2,...", description = "one-to-one and group: the steps, messages (posts) "
      + "per second, each a full --warmup + --duration run with fresh users (default: one step at --rate)")
  String rates;

  @Option(names = "--results-dir", defaultValue = "bench-results", paramLabel = "DIR",
      description = "where the .md and .json files go, relative to the working directory (default ${DEFAULT-VALUE})")
  Path resultsDir;

  @Option(names = "--server", defaultValue = "127.0.0.1:7400", paramLabel = "HOST:PORT",
      description = "gateway address (default ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--users", defaultValue = "1000", description = "online users, one device each (default ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--rate", description = "messages per second (group: posts per second), fixed-rate schedule, when no "
      + "--rates (default 500; group: 5)")
  Double rate;

  @Option(names = "--members", defaultValue = "500", description = "group: online members of the group, one device and "
      + "connection each (default ${DEFAULT-VALUE})")
  int members;

  @Option(names = "--senders", defaultValue = "1", description = "group: how many of the members post, in turn "
      + "(default ${DEFAULT-VALUE})")
  int senders;

  @Option(names = "--baseline-duration", defaultValue = "15s", converter = DurationConverter.class,
      description = "group: raw Cassandra inserts measured for this long (after 5 s of warm-up) before the steps, the "
          + "same-run baseline; 0s skips it (default ${DEFAULT-VALUE})")
  Duration baselineDuration;

  @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
      description = "measured time (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.class,
      description = "sending time before the measurement, not counted (default ${DEFAULT-VALUE})")
  Duration warmup;

  @Option(names = "--payload-bytes", defaultValue = "100",
      description = "text length of each message; it starts with the message id (default ${DEFAULT-VALUE})")
  int payloadBytes;

  @Option(names = "--drain", defaultValue = "30s", converter = DurationConverter.class,
      description = "after the last send, wait at most this long for acks and deliveries (default ${DEFAULT-VALUE})")
  Duration drain;

  @Option(names = "--send-timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "a send not acked within this long counts as a timeout (default ${DEFAULT-VALUE})")
  Duration sendTimeout;

  @Option(names = "--seed", defaultValue = "1", description = "random seed for the sender/recipient pairs (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--connect-concurrency", defaultValue = "200",
      description = "connections being opened at a time (default ${DEFAULT-VALUE})")
  int connectConcurrency;

  @Option(names = "--io-threads", defaultValue = "2", description = "threads of the shared client event loop group (default ${DEFAULT-VALUE})")
  int ioThreads;

  @Option(names = "--idle-connections", paramLabel = "N",
      description = "idle mode: open N authenticated connections and report the node's heap per connection (at most "
          + IdleBench.MAX_PER_PROCESS + " per --processes)")
  Integer idleConnections;

  @Option(names = "--processes", defaultValue = "1", paramLabel = "K",
      description = "idle mode: child load-generator JVMs, each binding to its own 127.0.0.N (default ${DEFAULT-VALUE}, "
          + "max " + IdleBench.MAX_PROCESSES + ")")
  int processes;

  @Option(names = "--targets", paramLabel = "HOST:PORT,...",
      description = "gateways to spread the load over (default: --server): idle mode opens the connections "
          + "round-robin; one-to-one gives every client all of them (it starts at a random one). Each node's pid "
          + "(for its CPU) is the process listening on its port")
  String targets;

  @Option(names = "--cpu-window", defaultValue = "60s", converter = DurationConverter.class,
      description = "idle mode: node CPU is measured over this long without and then with the connections "
          + "(default ${DEFAULT-VALUE})")
  Duration cpuWindow;

  @Option(names = "--heartbeat-interval", defaultValue = "30s", converter = DurationConverter.class,
      description = "idle mode: how often each client heartbeats (default ${DEFAULT-VALUE}, the server's default)")
  Duration heartbeatInterval;

  @Option(names = "--settle", defaultValue = "30s", converter = DurationConverter.class,
      description = "idle mode: how long the connections idle before the measurement (default ${DEFAULT-VALUE})")
  Duration settle;

  @Option(names = "--node-pid", description = "pid of the node, for its CPU (and idle: its heap) (default: the one "
      + "JVM running `insync.jar up` or `insync.jar node`, found in /proc/*/cmdline; several: pass this flag)")
  Long nodePid;

  @Option(names = "--cassandra-pid", description = "pid of Cassandra, for its CPU (default: the one process running "
      + ProcStat.CASSANDRA_MAIN + ", found in /proc/*/cmdline; several: pass this flag)")
  Long cassandraPid;

  @Option(names = "--cassandra-port", defaultValue = "9042", description = "to find Cassandra's pid (default ${DEFAULT-VALUE})")
  int cassandraPort;

  @Option(names = "--secret", description = "token secret (default: $INSYNC_TOKEN_SECRET or the dev secret)")
  String secret;

  @Option(names = "--cassandra-baseline", description = "baseline mode: no node; raw async inserts of journal-shaped "
      + "rows into Cassandra (--cassandra-host/--cassandra-port) for --duration after --warmup, --in-flight at a "
      + "time, to compare a load run with the machine's write capacity measured in the same hour")
  boolean cassandraBaseline;

  @Option(names = "--cassandra-host", defaultValue = "127.0.0.1", description = "Cassandra host: the baseline's target, and where one-to-one reads the journal writes per message (default ${DEFAULT-VALUE})")
  String cassandraHost;

  @Option(names = "--cassandra-dc", defaultValue = "dc1", description = "Cassandra data centre (baseline, and one-to-one's journal-write count) (default ${DEFAULT-VALUE})")
  String cassandraDc;

  @Option(names = "--journal-table", defaultValue = "insync_journal.messages",
      description = "one-to-one: the journal table whose coordinated writes (Cassandra's system_views) are counted per "
          + "delivered message; the column shows '-' when Cassandra does not answer (default ${DEFAULT-VALUE})")
  String journalTable;

  @Option(names = "--in-flight", defaultValue = "64", description = "baseline mode: inserts in flight (default ${DEFAULT-VALUE})")
  int inFlight;

  @Option(names = "--json", description = "print one JSON object on stdout instead of the table")
  boolean json;

  @Override
  public Integer call() throws Exception {
    BenchScenario scenario = scenario();
    Instant date = Instant.now();
    List<BenchResults.Step> steps = new ArrayList<>();
    int rc;
    String settings;
    switch (scenario) {
      case CASSANDRA_BASELINE -> {
        OptionalLong cass = pid(cassandraPid, ProcStat.Kind.CASSANDRA, "--cassandra-pid", cassandraPort);
        settings = String.format(Locale.ROOT, "Cassandra %s:%d (dc %s), %d in flight, %d partitions, warm-up %s, "
            + "measured %s", cassandraHost, cassandraPort, cassandraDc, inFlight, users, human(warmup), human(duration));
        CassandraBaseline.Report r = baseline(cass, duration, warmup);
        print(json ? r.toJson() + System.lineSeparator() : r.toTable());
        steps.add(BenchResults.cassandraBaseline(r));
        rc = r.errors() == 0 ? 0 : 1;
      }
      case IDLE -> {
        InetSocketAddress address = serverAddress();
        int n = idleConnections != null ? idleConnections : 10_000;
        List<InetSocketAddress> nodes = new java.util.ArrayList<>();
        if (targets == null) nodes.add(address);
        else for (String t : targets.split(",")) nodes.add(ClientCommands.parseAddress(t.trim()));
        List<Long> pids = new java.util.ArrayList<>();
        for (InetSocketAddress a : nodes) {
          if (!a.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("bench only targets loopback addresses, got " + a);
          }
          if (nodes.size() == 1) {
            pids.add(pid(nodePid, ProcStat.Kind.NODE, "--node-pid", a.getPort()).orElseThrow(() ->
                new IllegalStateException("no insync node found in /proc (no JVM runs `insync.jar up` or `insync.jar "
                    + "node`); pass --node-pid")));
          } else {
            pids.add(JvmProbe.pidListeningOn(a.getPort()).orElseThrow(() ->
                new IllegalStateException("no process listens on port " + a.getPort())));
          }
        }
        settings = String.format(Locale.ROOT, "targets %s, %d connections from %d processes, settle %s, cpu window %s, "
            + "heartbeat %s, node pids %s", nodes, n, processes, human(settle), human(cpuWindow), human(heartbeatInterval), pids);
        CpuMeter meter = new CpuMeter(CpuMeter.roles(OptionalLong.of(pids.get(0)), OptionalLong.empty()));
        meter.start();
        IdleBench.Report r = new IdleBench(new IdleBench.Settings(nodes, pids, n, processes, settle, cpuWindow,
            heartbeatInterval, connectConcurrency, ioThreads, secret()), System.err).run();
        List<CpuMeter.CpuUse> cpu = meter.stop();
        print(json ? r.toJson() + System.lineSeparator() : r.toTable());
        steps.add(BenchResults.idle(r, cpu));
        rc = r.connected() == n ? 0 : 1;
      }
      case GROUP -> {
        Targets t = targets();
        OptionalLong cassandra = cassandraPid();
        settings = String.format(Locale.ROOT, "%s, %d members (fresh per step), %d sender(s), warm-up %s + measured %s "
            + "per step, %d-byte texts, drain %s, send timeout %s, baseline %s", t.describe(), members, senders,
            human(warmup), human(duration), payloadBytes, human(drain), human(sendTimeout), human(baselineDuration));
        CassandraBaseline.Report baseline = baselineDuration.isZero() ? null : baseline(cassandra, baselineDuration,
            Duration.ofSeconds(5));
        rc = 0;
        JournalWrites writes = journalWrites();
        try {
          for (double stepRate : stepRates(5)) {
            System.err.printf(Locale.ROOT, "bench group: step %d, %.1f posts/s to %d members%n", steps.size() + 1,
                stepRate, members);
            GroupReport r = new GroupBench(new GroupBench.Settings(t.gateways(), members, senders, stepRate, duration,
                warmup, payloadBytes, drain, sendTimeout, connectConcurrency, ioThreads, secret(), t.nodePids(),
                cassandra, writes), System.err).run().withBaseline(baseline);
            print(json ? r.toJson() + System.lineSeparator() : r.toTable());
            steps.add(BenchResults.group(r));
            if (!(r.check().everyMemberOnce() && r.sendErrors() == 0 && r.sendTimeouts() == 0)) rc = 1;
          }
        } finally {
          if (writes != null) writes.close();
        }
      }
      default -> {
        Targets t = targets();
        List<InetSocketAddress> gateways = t.gateways();
        List<Long> nodePids = t.nodePids();
        List<Double> stepRates = stepRates(500);
        OptionalLong cassandra = cassandraPid();
        settings = String.format(Locale.ROOT, "%s, %d users (fresh per step), warm-up %s + measured %s per "
            + "step, %d-byte texts, drain %s, send timeout %s, seed %d", t.describe(), users, human(warmup),
            human(duration), payloadBytes, human(drain), human(sendTimeout), seed);
        rc = 0;
        String tokenSecret = secret();
        JournalWrites writes = journalWrites();
        try {
          for (double stepRate : stepRates) {
            System.err.printf(Locale.ROOT, "bench one-to-one: step %d of %d, %.0f msg/s%n", steps.size() + 1,
                stepRates.size(), stepRate);
            LoadReport r = new LoadBench(new LoadBench.Settings(gateways, users, stepRate, duration, warmup,
                payloadBytes, drain, sendTimeout, connectConcurrency, ioThreads, seed, tokenSecret, nodePids,
                cassandra, writes), System.err).run();
            print(json ? r.toJson() + System.lineSeparator() : r.toTable());
            steps.add(BenchResults.oneToOne(r));
            if (!(r.check().exactlyOnce() && r.sendErrors() == 0 && r.sendTimeouts() == 0)) rc = 1;
          }
        } finally {
          if (writes != null) writes.close();
        }
      }
    }
    BenchResults.Header header = new BenchResults.Header(scenario.cliName(), commandLine(), BenchResults.gitCommit(),
        date, BenchResults.Machine.current(), settings);
    BenchResults.Written w = BenchResults.write(resultsDir, header, steps);
    // with --json, stdout stays JSON only
    var out = json ? System.err : System.out;
    out.println("wrote " + w.markdown());
    out.println("wrote " + w.json());
    out.flush();
    return rc;
  }

  /** The scenario: named, or chosen by the old flags; flags of another scenario are refused. */
  BenchScenario scenario() {
    BenchScenario s;
    if (scenarioName != null) {
      s = BenchScenario.parse(scenarioName);
      if (cassandraBaseline && s != BenchScenario.CASSANDRA_BASELINE) {
        throw new IllegalArgumentException("--cassandra-baseline contradicts scenario " + s.cliName());
      }
      if (idleConnections != null && s != BenchScenario.IDLE) {
        throw new IllegalArgumentException("--idle-connections belongs to scenario idle, not " + s.cliName());
      }
    } else if (cassandraBaseline && idleConnections != null) {
      throw new IllegalArgumentException("--cassandra-baseline and --idle-connections are two scenarios; run one");
    } else if (cassandraBaseline) {
      s = BenchScenario.CASSANDRA_BASELINE;
    } else if (idleConnections != null) {
      s = BenchScenario.IDLE;
    } else {
      s = BenchScenario.ONE_TO_ONE;
    }
    if (rates != null && s != BenchScenario.ONE_TO_ONE && s != BenchScenario.GROUP) {
      throw new IllegalArgumentException("--rates belongs to scenarios one-to-one and group, not " + s.cliName());
    }
    if (rates != null) BenchScenario.parseRates(rates); // bad input fails before anything runs
    return s;
  }

  /** The step rates: --rates, else --rate, else {@code otherwise}. */
  private List<Double> stepRates(double otherwise) {
    return rates != null ? BenchScenario.parseRates(rates) : List.of(rate != null ? rate : otherwise);
  }

  /** The gateways a load scenario connects to, and the pids of their nodes (for their CPU). */
  private record Targets(List<InetSocketAddress> gateways, List<Long> nodePids, String describe) {}

  private Targets targets() throws java.io.IOException, InterruptedException {
    List<InetSocketAddress> gateways = new ArrayList<>();
    List<Long> nodePids = new ArrayList<>();
    if (targets == null) {
      InetSocketAddress address = serverAddress();
      gateways.add(address);
      OptionalLong node = pid(nodePid, ProcStat.Kind.NODE, "--node-pid", address.getPort());
      node.ifPresent(nodePids::add);
      if (node.isEmpty()) System.err.println("bench: no insync node found in /proc; no node CPU (pass --node-pid)");
      return new Targets(gateways, nodePids, "server " + server);
    }
    if (nodePid != null) throw new IllegalArgumentException("with --targets each node's pid is the process "
        + "listening on its port; --node-pid is for one --server");
    for (String t : targets.split(",")) {
      InetSocketAddress a = ClientCommands.parseAddress(t.trim());
      if (!a.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException("bench only targets loopback addresses, got " + a);
      }
      gateways.add(a);
      OptionalLong p = JvmProbe.pidListeningOn(a.getPort());
      p.ifPresent(nodePids::add);
      if (p.isEmpty()) System.err.println("bench: no process listens on port " + a.getPort() + "; its CPU is not counted");
    }
    return new Targets(gateways, nodePids, "servers " + targets);
  }

  private OptionalLong cassandraPid() {
    OptionalLong cassandra = pid(cassandraPid, ProcStat.Kind.CASSANDRA, "--cassandra-pid", cassandraPort);
    if (cassandra.isEmpty()) System.err.println("bench: no Cassandra found in /proc; no Cassandra CPU (pass --cassandra-pid)");
    return cassandra;
  }

  /** Raw journal-shaped inserts into Cassandra for {@code measured} after {@code warm}, Cassandra's CPU with them. */
  private CassandraBaseline.Report baseline(OptionalLong cassandra, Duration measured, Duration warm)
      throws InterruptedException {
    InetSocketAddress c = new InetSocketAddress(cassandraHost, cassandraPort);
    if (!c.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("bench only targets loopback addresses, got " + cassandraHost);
    }
    return new CassandraBaseline(new CassandraBaseline.Settings(c, cassandraDc, measured, warm, inFlight, users,
        Math.max(16, payloadBytes * 2)), System.err).run(new CpuMeter(CpuMeter.roles(OptionalLong.empty(), cassandra)));
  }

  /** The journal-write counter for one-to-one steps, or null (with a note) when Cassandra does not answer. */
  private JournalWrites journalWrites() {
    int dot = journalTable.indexOf('.');
    if (dot <= 0 || dot == journalTable.length() - 1) {
      throw new IllegalArgumentException("--journal-table must be KEYSPACE.TABLE, got '" + journalTable + "'");
    }
    InetSocketAddress c = new InetSocketAddress(cassandraHost, cassandraPort);
    JournalWrites w = c.getAddress() != null && c.getAddress().isLoopbackAddress()
        ? JournalWrites.open(c, cassandraDc, journalTable.substring(0, dot), journalTable.substring(dot + 1)) : null;
    if (w == null || w.count().isEmpty()) {
      System.err.println("bench: cannot read journal writes from Cassandra at " + cassandraHost + ":" + cassandraPort
          + " (system_views.coordinator_write_latency); no journal writes per message");
      if (w != null) w.close();
      return null;
    }
    return w;
  }

  private InetSocketAddress serverAddress() {
    InetSocketAddress address = ClientCommands.parseAddress(server);
    if (!address.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("bench only targets loopback addresses, got " + server);
    }
    return address;
  }

  /**
   * {@code explicit}, or the one process of {@code kind} in /proc. Several are refused (naming the
   * one listening on {@code port}, if any, as a hint).
   */
  private static OptionalLong pid(Long explicit, ProcStat.Kind kind, String flag, int port) {
    if (explicit != null) return OptionalLong.of(explicit);
    try {
      return ProcStat.find(kind, flag);
    } catch (IllegalArgumentException several) {
      OptionalLong listening = quietPid(port);
      String hint = listening.isPresent() ? " (the one listening on port " + port + " is " + listening.getAsLong()
          + ": " + flag + " " + listening.getAsLong() + ")" : "";
      throw new IllegalArgumentException(several.getMessage() + hint); // no cause: the CLI prints the root cause's message
    }
  }

  /** "bin/insync bench ARGS" as typed (arguments with spaces or quotes quoted). */
  private String commandLine() {
    StringBuilder b = new StringBuilder("bin/insync bench");
    List<String> args = spec != null && spec.commandLine().getParseResult() != null
        ? spec.commandLine().getParseResult().originalArgs() : List.of();
    int from = !args.isEmpty() && args.get(0).equals("bench") ? 1 : 0;
    for (String a : args.subList(from, args.size())) {
      b.append(' ');
      if (a.isEmpty() || a.matches(".*[\\s'\"$`\\\\].*")) b.append('\'').append(a.replace("'", "'\\''")).append('\'');
      else b.append(a);
    }
    return b.toString();
  }

  private static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }

  private static void print(String s) {
    System.out.print(s);
    System.out.flush();
  }

  private static OptionalLong quietPid(int port) {
    try {
      return JvmProbe.pidListeningOn(port);
    } catch (Exception e) {
      return OptionalLong.empty();
    }
  }

  private String secret() {
    if (secret != null) return secret;
    String env = System.getenv("INSYNC_TOKEN_SECRET");
    return env != null && !env.isEmpty() ? env : io.insync.core.auth.TokenSigner.DEV_SECRET;
  }
}
