package io.insync.ops.bench;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/** What the load scenarios share: connecting many clients, waiting for a due time, helper threads. */
final class BenchClients {
  private BenchClients() {}

  /**
   * The clients of users {@code prefix + i} (device d0, automatic sync, keys in memory) on one event
   * loop group of their own; {@link #close()} closes them and the group.
   */
  static final class Fleet implements AutoCloseable {
    final List<InsyncClient> clients = new ArrayList<>();
    final List<String> users = new ArrayList<>();
    private final EventLoopGroup loops;

    Fleet(int n, String prefix, int ioThreads, List<InetSocketAddress> servers, String secret, Duration sendTimeout,
        BiFunction<Integer, String, ClientListener> listener) {
      loops = new NioEventLoopGroup(ioThreads, new DefaultThreadFactory("bench-io", true));
      TokenSigner signer = TokenSigner.fromSecret(secret);
      for (int i = 0; i < n; i++) {
        String user = prefix + i;
        users.add(user);
        clients.add(InsyncClient.create(ClientOptions.builder()
            .addresses(servers)
            .token(signer.sign(user, "d0", Instant.now().plus(Duration.ofHours(6))))
            .autoSync(true)
            .syncKeyStore(new InMemorySyncKeyStore())
            .eventLoopGroup(loops)
            .sendRetryTimeout(sendTimeout)
            .listener(listener.apply(i, user))
            .clientVersion("insync-bench")
            .build()));
      }
    }

    @Override
    public void close() throws InterruptedException {
      for (InsyncClient c : clients) c.close();
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The end of a run: waits for the sender, then at most {@code drain} until {@code settled}, stops the
   * progress line, and returns what the window measured.
   */
  static MeasuredWindow.Result finish(Thread sender, Thread progress, Duration drain, BooleanSupplier settled,
      MeasuredWindow window) throws InterruptedException {
    sender.join();
    long drainUntil = System.nanoTime() + drain.toNanos();
    while (System.nanoTime() < drainUntil && !settled.getAsBoolean()) Thread.sleep(100);
    progress.interrupt();
    return window.await();
  }

  /** Connects every client, {@code concurrency} at a time; throws if any cannot connect within 60 s. */
  static void connectAll(List<InsyncClient> clients, int concurrency) throws Exception {
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (InsyncClient c : clients) {
      permits.acquire();
      all.add(c.connect().whenComplete((ok, err) -> permits.release()));
    }
    int failed = 0;
    Throwable firstError = null;
    for (CompletableFuture<?> f : all) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        failed++;
        if (firstError == null) firstError = e;
      }
    }
    if (failed > 0) {
      throw new IllegalStateException(failed + " of " + clients.size() + " users could not connect", firstError);
    }
  }

  /** A daemon thread that prints {@code line} every 5 s until interrupted. */
  static Thread progress(java.io.PrintStream log, java.util.function.Supplier<String> line) {
    return start("bench-progress", true, () -> {
      try {
        while (true) {
          Thread.sleep(5000);
          log.println(line.get());
        }
      } catch (InterruptedException e) {
        // done
      }
    });
  }

  static Thread start(String name, boolean daemon, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(daemon);
    t.start();
    return t;
  }

  static void sleepUntil(long deadline) {
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return;
      LockSupport.parkNanos(left);
    }
  }

  /** The innermost cause. */
  static Throwable root(Throwable err) {
    Throwable root = err;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root;
  }
}
