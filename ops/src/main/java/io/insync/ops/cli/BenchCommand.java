package io.insync.ops.cli;

import io.insync.ops.bench.CassandraBaseline;
import io.insync.ops.bench.IdleBench;
import io.insync.ops.bench.JvmProbe;
import io.insync.ops.bench.LoadBench;
import io.insync.ops.bench.LoadReport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/insync bench}: a bounded load generator against a running system (see
 * io.insync.ops.bench). Two modes: a fixed-rate 1:1 message load (default) and
 * {@code --idle-connections N}, the node's heap per idle connection.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Benchmark a running system.",
        "Load mode (default): connects --users users (one device each, auto sync on) and sends 1:1 messages "
            + "between random distinct users at a fixed rate (open loop: latency counts from each message's scheduled "
            + "send time). Reports sent/acked/delivered per second, send->SendAck and send->delivered (recipient's "
            + "onItems) latency, errors, and checks that every acked message was delivered exactly once.",
        "Idle mode (--idle-connections N): node heap and RSS per idle authenticated connection (full GC via jcmd "
            + "before and after opening N connections) and node CPU per heartbeat; the connections come from "
            + "--processes child JVMs (each at most " + IdleBench.MAX_PER_PROCESS + ", bound to 127.0.0.2, .3, ...) "
            + "and are spread over --targets."})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--server", defaultValue = "127.0.0.1:7400", paramLabel = "HOST:PORT",
      description = "gateway address (default ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--users", defaultValue = "1000", description = "online users, one device each (default ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--rate", defaultValue = "500", description = "messages per second, fixed-rate schedule (default ${DEFAULT-VALUE})")
  double rate;

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
      description = "idle mode: gateways to spread the connections over, round-robin (default: --server); each "
          + "node's pid is the process listening on its port")
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

  @Option(names = "--node-pid", description = "pid of the node (default: the process listening on the --server port)")
  Long nodePid;

  @Option(names = "--cassandra-pid", description = "load mode: pid of Cassandra, for its CPU use "
      + "(default: the process listening on --cassandra-port)")
  Long cassandraPid;

  @Option(names = "--cassandra-port", defaultValue = "9042", description = "to find Cassandra's pid (default ${DEFAULT-VALUE})")
  int cassandraPort;

  @Option(names = "--secret", description = "token secret (default: $INSYNC_TOKEN_SECRET or the dev secret)")
  String secret;

  @Option(names = "--cassandra-baseline", description = "baseline mode: no node; raw async inserts of journal-shaped "
      + "rows into Cassandra (--cassandra-host/--cassandra-port) for --duration after --warmup, --in-flight at a "
      + "time, to compare a load run with the machine's write capacity measured in the same hour")
  boolean cassandraBaseline;

  @Option(names = "--cassandra-host", defaultValue = "127.0.0.1", description = "baseline mode: Cassandra host (default ${DEFAULT-VALUE})")
  String cassandraHost;

  @Option(names = "--cassandra-dc", defaultValue = "dc1", description = "baseline mode: Cassandra data centre (default ${DEFAULT-VALUE})")
  String cassandraDc;

  @Option(names = "--in-flight", defaultValue = "64", description = "baseline mode: inserts in flight (default ${DEFAULT-VALUE})")
  int inFlight;

  @Option(names = "--json", description = "print one JSON object on stdout instead of the table")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (cassandraBaseline) {
      InetSocketAddress c = new InetSocketAddress(cassandraHost, cassandraPort);
      if (!c.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException("bench only targets loopback addresses, got " + cassandraHost);
      }
      CassandraBaseline.Report r = new CassandraBaseline(new CassandraBaseline.Settings(c, cassandraDc, duration, warmup,
          inFlight, users, Math.max(16, payloadBytes * 2)), System.err).run();
      System.out.print(json ? r.toJson() + System.lineSeparator() : r.toTable());
      System.out.flush();
      return r.errors() == 0 ? 0 : 1;
    }
    InetSocketAddress address = ClientCommands.parseAddress(server);
    if (!address.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("bench only targets loopback addresses, got " + server);
    }
    String tokenSecret = secret();
    if (idleConnections != null) {
      List<InetSocketAddress> nodes = new java.util.ArrayList<>();
      if (targets == null) nodes.add(address);
      else for (String t : targets.split(",")) nodes.add(ClientCommands.parseAddress(t.trim()));
      List<Long> pids = new java.util.ArrayList<>();
      for (InetSocketAddress n : nodes) {
        if (!n.getAddress().isLoopbackAddress()) throw new IllegalArgumentException("bench only targets loopback addresses, got " + n);
        if (nodePid != null && nodes.size() == 1) {
          pids.add(nodePid);
        } else {
          pids.add(JvmProbe.pidListeningOn(n.getPort()).orElseThrow(() ->
              new IllegalStateException("no process listens on port " + n.getPort() + "; pass --node-pid")));
        }
      }
      IdleBench.Report r = new IdleBench(new IdleBench.Settings(nodes, pids, idleConnections, processes, settle,
          cpuWindow, heartbeatInterval, connectConcurrency, ioThreads, tokenSecret), System.err).run();
      System.out.print(json ? r.toJson() + System.lineSeparator() : r.toTable());
      System.out.flush();
      return r.connected() == idleConnections ? 0 : 1;
    }
    OptionalLong node = nodePid != null ? OptionalLong.of(nodePid) : quietPid(address.getPort());
    OptionalLong cassandra = cassandraPid != null ? OptionalLong.of(cassandraPid) : quietPid(cassandraPort);
    LoadReport r = new LoadBench(new LoadBench.Settings(List.of(address), users, rate, duration, warmup, payloadBytes,
        drain, sendTimeout, connectConcurrency, ioThreads, seed, tokenSecret, node, cassandra), System.err).run();
    System.out.print(json ? r.toJson() + System.lineSeparator() : r.toTable());
    System.out.flush();
    return r.check().exactlyOnce() && r.sendErrors() == 0 && r.sendTimeouts() == 0 ? 0 : 1;
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
