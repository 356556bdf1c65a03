package io.insync.ops.bench;

import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Heap per idle connection: full GC in the node and read heap used; open N authenticated
 * connections (one user each, automatic sync on, then idle except heartbeats); wait; full GC
 * and read again; (after - before) / N. Then close them and measure once more.
 */
public final class IdleBench {
  /** Above this the bench process itself would run short of file descriptors (limit 20,000). */
  public static final int MAX_CONNECTIONS = 15_000;

  public record Settings(List<InetSocketAddress> servers, int connections, long nodePid, Duration settle,
      int connectConcurrency, int ioThreads, String secret) {
    public Settings {
      if (connections < 1 || connections > MAX_CONNECTIONS) {
        throw new IllegalArgumentException("--idle-connections must be between 1 and " + MAX_CONNECTIONS);
      }
    }
  }

  public record Report(long nodePid, int requested, int connected, long heapBeforeBytes, long heapAfterBytes,
      long heapAfterCloseBytes, double connectSeconds, double settleSeconds) {
    public double bytesPerConnection() {
      return connected == 0 ? Double.NaN : (double) (heapAfterBytes - heapBeforeBytes) / connected;
    }

    public String toJson() {
      return new JsonOut()
          .put("mode", "idle-connections")
          .put("node_pid", nodePid)
          .put("requested", requested)
          .put("connected", connected)
          .put("heap_before_bytes", heapBeforeBytes)
          .put("heap_after_bytes", heapAfterBytes)
          .put("heap_after_close_bytes", heapAfterCloseBytes)
          .put("bytes_per_connection", bytesPerConnection())
          .put("connect_s", connectSeconds)
          .put("settle_s", settleSeconds)
          .toString();
    }

    public String toTable() {
      return String.format(Locale.ROOT,
          "insync bench --idle-connections: node pid %d%n"
              + "  connections        %d of %d authenticated (connected in %.1f s, then idle %.0f s)%n"
              + "  heap used, after a full GC: before %.1f MiB, with the connections %.1f MiB, after closing them %.1f MiB%n"
              + "  heap per idle connection: %.0f bytes (%.2f KiB)%n",
          nodePid, connected, requested, connectSeconds, settleSeconds, heapBeforeBytes / 1048576.0,
          heapAfterBytes / 1048576.0, heapAfterCloseBytes / 1048576.0, bytesPerConnection(),
          bytesPerConnection() / 1024);
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
    long before = gcAndMeasure();
    log.printf("idle %s: node %d heap after full GC %.1f MiB; opening %d connections%n", run, s.nodePid(),
        before / 1048576.0, s.connections());
    EventLoopGroup group = new NioEventLoopGroup(s.ioThreads(), new DefaultThreadFactory("bench-io", true));
    List<InsyncClient> clients = new ArrayList<>(s.connections());
    TokenSigner signer = TokenSigner.fromSecret(s.secret());
    try {
      long t0 = System.nanoTime();
      Semaphore permits = new Semaphore(s.connectConcurrency());
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int i = 0; i < s.connections(); i++) {
        String user = "idle" + run + "u" + i;
        InsyncClient c = InsyncClient.create(ClientOptions.builder()
            .addresses(s.servers())
            .token(signer.sign(user, "d0", Instant.now().plus(Duration.ofHours(6))))
            .autoSync(true)
            .syncKeyStore(new InMemorySyncKeyStore())
            .eventLoopGroup(group)
            .clientVersion("insync-bench-idle")
            .build());
        clients.add(c);
        permits.acquire();
        all.add(c.connect().whenComplete((ok, err) -> permits.release()));
        if ((i + 1) % 2000 == 0) log.printf("  %d connecting/connected%n", i + 1);
      }
      int failed = 0;
      for (CompletableFuture<?> f : all) {
        try {
          f.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
          failed++;
        }
      }
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      if (failed > 0) log.printf("  %d connections failed%n", failed);
      log.printf("  connected in %.1f s; idling %d s%n", connectSeconds, s.settle().toSeconds());
      Thread.sleep(s.settle().toMillis());
      int connected = (int) clients.stream().filter(InsyncClient::isConnected).count();
      long after = gcAndMeasure();
      int stillConnected = (int) clients.stream().filter(InsyncClient::isConnected).count();
      log.printf("  %d connected before the measurement, %d after; heap %.1f MiB%n", connected, stillConnected,
          after / 1048576.0);
      for (InsyncClient c : clients) c.close();
      clients.clear();
      Thread.sleep(3000);
      long afterClose = gcAndMeasure();
      return new Report(s.nodePid(), s.connections(), Math.min(connected, stillConnected), before, after, afterClose,
          connectSeconds, s.settle().toMillis() / 1000.0);
    } finally {
      for (InsyncClient c : clients) c.close();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  /** Two full GCs (the second collects what the first only made unreachable, e.g. finalizable objects), then heap used. */
  private long gcAndMeasure() throws Exception {
    JvmProbe.fullGc(s.nodePid());
    JvmProbe.fullGc(s.nodePid());
    return JvmProbe.heapUsed(s.nodePid());
  }
}
