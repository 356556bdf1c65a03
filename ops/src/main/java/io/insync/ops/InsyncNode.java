package io.insync.ops;

import com.typesafe.config.Config;
import io.insync.cluster.UserSharding;
import io.insync.core.auth.TokenSigner;
import io.insync.gateway.GatewaySettings;
import io.insync.gateway.Session;
import io.insync.gateway.TcpGateway;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One insync node: actor system, cluster membership, user sharding, the TCP gateway. Boot order
 * (as the shopping-cart sample): cluster, sharding, warm-up of the journal, then the servers, so
 * a client never reaches a node that cannot yet serve it.
 */
public final class InsyncNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InsyncNode.class);

  private final ActorSystem<Void> system;
  private final TcpGateway gateway;
  private final InetSocketAddress tcpAddress;
  private final UserRefs users;

  private InsyncNode(ActorSystem<Void> system, TcpGateway gateway, InetSocketAddress tcpAddress, UserRefs users) {
    this.system = system;
    this.gateway = gateway;
    this.tcpAddress = tcpAddress;
    this.users = users;
  }

  public static InsyncNode start(Config config) throws Exception {
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
      log.warn("the JDK common pool has parallelism {}: every async CompletableFuture stage (each ask reply) "
          + "will start a new thread and throughput collapses; start the JVM with "
          + "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4 (bin/insync does)",
          java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
    }
    ActorSystem<Void> system = newSystem(config);
    try {
      Cluster cluster = Cluster.get(system);
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      awaitUp(cluster, Duration.ofSeconds(60));
      UserRefs users = UserSharding.init(system);
      warmUp(system, users);
      GatewaySettings gs = GatewaySettings.fromConfig(config);
      if (TokenSigner.DEV_SECRET.equals(gs.tokenSecret())) {
        log.warn("tokens are signed with the development secret: anyone can sign in as anyone. "
            + "Set INSYNC_TOKEN_SECRET (insync.gateway.token-secret) for any real deployment.");
      }
      TcpGateway gateway = new TcpGateway(system,
          new Session.Deps(gs, users, TokenSigner.fromSecret(gs.tokenSecret())));
      InetSocketAddress bound = gateway.start();
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "tcp-gateway-close",
          () -> CompletableFuture.supplyAsync(() -> {
            gateway.close();
            return Done.getInstance();
          }));
      return new InsyncNode(system, gateway, bound, users);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * The node's actor system, on {@code config} merged over every reference.conf, as the node runs it
   * (the configuration test builds it this way too).
   */
  public static ActorSystem<Void> newSystem(Config config) {
    return ActorSystem.create(Behaviors.empty(), "insync", config);
  }

  private static void awaitUp(Cluster cluster, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("node did not join a cluster within " + timeout);
      Thread.sleep(50);
    }
  }

  /**
   * The first recovery in a fresh JVM pays for the driver session and statement preparation
   * (about a second); pay it before clients come.
   */
  private static void warmUp(ActorSystem<?> system, UserRefs users) {
    long t0 = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      try {
        AskPattern.<UserEntity.Command, UserEntity.Status>ask(users.user("__warmup__"),
                UserEntity.GetStatus::new, Duration.ofSeconds(20), system.scheduler())
            .toCompletableFuture().get(25, TimeUnit.SECONDS);
        break;
      } catch (Exception e) {
        if (attempt >= 6) throw new IllegalStateException("journal not reachable: " + e.getMessage(), e);
        log.warn("journal warm-up attempt {} failed ({}), retrying", attempt, e.toString());
      }
    }
    log.info("journal ready in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  public InetSocketAddress tcpAddress() {
    return tcpAddress;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public UserRefs users() {
    return users;
  }

  public int openConnections() {
    return gateway.openConnections();
  }

  /** Leaves the cluster and stops; blocks until done (at most a minute). */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("node did not stop cleanly: {}", e.toString());
    }
  }
}
