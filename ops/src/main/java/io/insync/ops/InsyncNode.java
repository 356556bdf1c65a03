package io.insync.ops;

import com.typesafe.config.Config;
import io.insync.cluster.NodeConnections;
import io.insync.cluster.UserSharding;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.cluster.flags.FlagStore;
import io.insync.cluster.auth.Revocations;
import io.insync.gateway.AccessRouting;
import io.insync.gateway.FlaggedSyncPage;
import io.insync.gateway.GatewayDirectory;
import io.insync.gateway.GatewaySettings;
import io.insync.gateway.Presence;
import io.insync.gateway.Session;
import io.insync.gateway.TcpGateway;
import io.insync.ops.management.ManagementServer;
import io.insync.ops.alerts.KamonAlerts;
import io.insync.ops.metrics.ClusterGauges;
import io.insync.ops.metrics.NodeMetrics;
import io.insync.ops.ready.NodeProbes;
import io.insync.ops.ready.Readiness;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.protocol.Envelope;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One insync node: actor system, management HTTP, cluster membership, user sharding, the gateway
 * (TCP and WebSocket). Boot order (as the shopping-cart sample): management (so /alive and /ready
 * answer from the start, and cluster bootstrap has its contact point), cluster join (seed nodes, a
 * cluster of one, or bootstrap), sharding, readiness (Up, shard region registered, journal
 * answering), then the client servers, so a client never reaches a node that cannot yet serve it.
 */
public final class InsyncNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InsyncNode.class);

  private final ActorSystem<Void> system;
  private final TcpGateway gateway;
  private final InetSocketAddress tcpAddress;
  private final UserRefs users;
  private final ManagementServer management;

  private InsyncNode(ActorSystem<Void> system, TcpGateway gateway, InetSocketAddress tcpAddress, UserRefs users,
      ManagementServer management) {
    this.system = system;
    this.gateway = gateway;
    this.tcpAddress = tcpAddress;
    this.users = users;
    this.management = management;
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
      ManagementServer management = ManagementServer.start(system);
      Cluster cluster = Cluster.get(system);
      ClusterGauges.start(system, Duration.ofSeconds(1));
      // feature flags: this node's copy of the replicated map, read by the gateway and the management routes
      FlagStore flags = FlagStore.start(system);
      management.flags(flags);
      // bans and token revocations: checked at every Auth, and closing the sessions they refuse
      Revocations revocations = Revocations.start(system);
      management.revocations(revocations);
      management.alerts(KamonAlerts.start(system, NodeMetrics.current().isPresent(), flags));
      // the console's live figures: every node's sends, syncs and latency per metrics tick
      if (NodeMetrics.current().isPresent()) management.stats(io.insync.ops.alerts.NodeStats.start(system));
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()
          && !config.getBoolean("insync.management.bootstrap.enabled")) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      Readiness readiness = new Readiness(Readiness.Clock.SYSTEM, config.getDuration("insync.node.ready-timeout"),
          config.getDuration("insync.node.ready-probe-timeout"), config.getDuration("insync.node.ready-probe-interval"),
          new io.insync.ops.ready.SelfMembership(() -> system.whenTerminated().isCompleted(),
              cluster::isTerminated, () -> cluster.selfMember().status()));
      NodeProbes probes = new NodeProbes(system, config.getDuration("insync.node.ready-probe-timeout"));
      UserRefs users = awaitReady(readiness, probes, system);
      GatewaySettings gs = GatewaySettings.fromConfig(config);
      TokenSigner tokens = GatewaySettings.tokenSigner(config);
      log.info("tokens: accepting v2 keys and v1 as listed: {}", tokens.keyIds());
      if (TokenSigner.DEV_SECRET.equals(gs.tokenSecret())) {
        log.warn("tokens are signed with the development secret: anyone can sign in as anyone. "
            + "Set INSYNC_TOKEN_SECRET (insync.gateway.token-secret) for any real deployment.");
      }
      checkLeaveGrace(system, gs);
      TcpGateway gateway = new TcpGateway(system,
          new Session.Deps(gs, users, tokens, Presence.start(system), flags,
              FlaggedSyncPage.fromConfig(config), revocations));
      InetSocketAddress bound = gateway.start();
      GatewayDirectory directory = GatewayDirectory.start(system, Duration.ofSeconds(2));
      leaveGracefully(system, directory, gateway, gs, bound);
      // GET /insync/access and admin drain: the ordered gateway list, and this node's drain
      management.access(AccessRouting.start(system, directory, gateway));
      // GET /insync/connections asks every node's counter through the Receptionist
      NodeConnections.register(system, gateway::openConnections);
      management.insyncReady();
      String ws = gateway.webSocketAddress()
          .map(a -> "ws://" + a.getHostString() + ":" + a.getPort() + gateway.webSocketPath())
          .orElse("off");
      log.info("insync node ready: TCP SYNC {}:{}, WebSocket SYNC {}, management {}, cluster address {}",
          bound.getHostString(), bound.getPort(), ws, management.url(), cluster.selfMember().address());
      return new InsyncNode(system, gateway, bound, users, management);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * A graceful leave, hooked into coordinated shutdown, which runs on SIGTERM (Pekko's JVM
   * shutdown hook), on {@link #close()}, and when the node leaves the cluster (a {@code Leave} from
   * management HTTP or any member): this node's gateway is withdrawn from the {@link
   * GatewayDirectory} (others stop naming it), the listeners close (connects are refused), every
   * connection gets a {@code Redirect} naming the other gateways and {@code insync.gateway.leave.grace}
   * to move, then the gateway stops. Sharding hands the node's shards off in the later phase
   * {@code cluster-sharding-shutdown-region}; entities resume elsewhere from their journals.
   * Also publishes this node's client addresses in the directory.
   */
  private static void leaveGracefully(ActorSystem<?> system, GatewayDirectory directory, TcpGateway gateway,
      GatewaySettings gs, InetSocketAddress tcp) {
    String host = gs.leave().advertiseHost().isEmpty() ? tcp.getHostString() : gs.leave().advertiseHost();
    String ws = gateway.webSocketAddress()
        .map(a -> "ws://" + hostPort(host, a.getPort()) + gateway.webSocketPath()).orElse("");
    try {
      // known to the other nodes before this one says ready: one that leaves next names it
      directory.publish(hostPort(host, tcp.getPort()), ws).toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("this gateway's address is not yet known to every node ({}); gossip spreads it", e.toString());
    }
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "gateway-withdraw", () -> {
      directory.freeze(); // the gateways to name in the Redirect: the others Up now, whatever membership does next
      return directory.withdraw();
    });
    cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "gateway-unbind", () -> CompletableFuture.supplyAsync(() -> {
      gateway.unbind();
      return Done.getInstance();
    }));
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "gateway-redirect", () -> directory.others()
        .exceptionally(e -> {
          log.warn("the gateway directory did not answer ({}): the Redirect names no other gateway", e.toString());
          return List.of();
        })
        .thenCompose(others -> {
          Envelope redirect = Envelopes.redirect(others.stream().map(GatewayDirectory.Entry::tcp).toList(),
              others.stream().map(GatewayDirectory.Entry::webSocket).filter(w -> !w.isEmpty()).toList(),
              "this node is leaving the cluster", (int) gs.leave().grace().toMillis());
          return gateway.drain(redirect, gs.leave().grace(), gs.leave().retryAfterMs());
        })
        .thenApply(n -> Done.getInstance()));
    cs.addTask(CoordinatedShutdown.PhaseServiceStop(), "gateway-close", () -> CompletableFuture.supplyAsync(() -> {
      gateway.close();
      return Done.getInstance();
    }));
  }

  /** The Redirect grace runs inside one coordinated-shutdown phase and must end before its timeout. */
  private static void checkLeaveGrace(ActorSystem<?> system, GatewaySettings gs) {
    Duration phase = Duration.ofMillis(
        CoordinatedShutdown.get(system).timeout(CoordinatedShutdown.PhaseServiceRequestsDone()).toMillis());
    // the grace, then up to 1 s for the connections closed after it
    if (gs.leave().grace().plusSeconds(1).compareTo(phase) >= 0) {
      throw new IllegalArgumentException("insync.gateway.leave.grace (" + gs.leave().grace() + ") plus 1 s must be "
          + "below pekko.coordinated-shutdown.phases.service-requests-done.timeout (" + phase + "), the phase it runs in");
    }
  }

  private static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * The node can serve a client only when it is Up, its shard region is registered with the
   * coordinator, and the journal answers here and through sharding; the client port opens after
   * this (issue 5, item 7). Each step is waited for by condition, within insync.node.ready-timeout.
   */
  private static UserRefs awaitReady(Readiness readiness, NodeProbes probes, ActorSystem<?> system)
      throws InterruptedException {
    Duration up = readiness.await("this node is Up in the cluster", probes.up());
    UserRefs users = UserSharding.init(system);
    Duration region = readiness.await("the user shard region is registered with the coordinator",
        probes.regionRegistered(UserEntity.ENTITY_KEY.name()));
    Duration journal = readiness.await("this node's journal answers", probes.localJournal());
    Duration sharded = readiness.await("a user entity answers through sharding",
        probes.userThroughSharding(users, "__warmup__"));
    log.info("ready to serve: Up after {} ms, shard region registered after {} ms more, journal answered after {} ms, "
        + "a user through sharding after {} ms", up.toMillis(), region.toMillis(), journal.toMillis(), sharded.toMillis());
    return users;
  }

  /**
   * The node's actor system, on {@code config} merged over every reference.conf, as the node runs it
   * (the configuration test builds it this way too). Refuses a classpath with mixed Pekko versions first
   * ({@link PekkoModules}: Pekko's own check is off, see cluster.conf).
   */
  public static ActorSystem<Void> newSystem(Config config) {
    PekkoModules.check(InsyncNode.class.getClassLoader());
    return ActorSystem.create(Behaviors.empty(), "insync", config);
  }

  public InetSocketAddress tcpAddress() {
    return tcpAddress;
  }

  /** The bound WebSocket address; empty if {@code insync.gateway.websocket.enabled} is false. */
  public java.util.Optional<InetSocketAddress> webSocketAddress() {
    return gateway.webSocketAddress();
  }

  /** The WebSocket path ({@code insync.gateway.websocket.path}). */
  public String webSocketPath() {
    return gateway.webSocketPath();
  }

  /** The bound management HTTP address ({@code pekko.management.http.*}; the real port when 0 was asked). */
  public InetSocketAddress managementAddress() {
    return management.address();
  }

  /** {@code http://host:port} of the management HTTP endpoint. */
  public String managementUrl() {
    return management.url();
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
