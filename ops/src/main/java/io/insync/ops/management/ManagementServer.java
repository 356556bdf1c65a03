package io.insync.ops.management;

import com.typesafe.config.Config;
import io.insync.ops.bench.JsonOut;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.PekkoManagementSettings;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's management HTTP endpoint: Pekko Management's routes (cluster HTTP, health checks, cluster
 * bootstrap's contact point) with every write behind {@link WriteAuthorization}. Pekko Management's own
 * authenticator is HTTP Basic and guards reads and writes alike, so this class asks Pekko Management for its
 * routes with the write routes included ({@code route-providers-read-only = false}), wraps them in the bearer
 * check, and binds them itself at {@code pekko.management.http.hostname/port} (bind-hostname/bind-port if set).
 * Started before the node joins its cluster, so {@code /alive} and {@code /ready} answer during start-up.
 * insync's own routes ({@link InsyncRoutes}, under {@code /insync}) sit inside the same check and answer once
 * the node calls {@link #insyncReady()}.
 */
public final class ManagementServer {
  private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

  private final ServerBinding binding;
  private final InsyncRoutes insync;

  private ManagementServer(ServerBinding binding, InsyncRoutes insync) {
    this.binding = binding;
    this.insync = insync;
  }

  /** Binds the endpoint (blocks up to 30 s); unbinds when the actor system stops. */
  public static ManagementServer start(ActorSystem<?> system) throws Exception {
    Config config = system.settings().config();
    WriteAuthorization auth = WriteAuthorization.withToken(config.getString("insync.management.token"));
    PekkoManagement management = PekkoManagement.get(system);
    PekkoManagementSettings settings = management.settings();
    boolean bootstrap = config.getBoolean("insync.management.bootstrap.enabled");
    if (bootstrap && settings.getHttpPort() == 0) {
      throw new IllegalArgumentException("insync.management.bootstrap.enabled needs a fixed management port "
          + "(pekko.management.http.port, --management-port): other nodes find this one's contact point by it");
    }
    if (bootstrap) {
      try {
        Class.forName("org.apache.pekko.discovery.Discovery", false, ManagementServer.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("insync.management.bootstrap.enabled needs pekko-discovery on the classpath "
            + "(ops/pom.xml declares it: a jar built without it cannot bootstrap)");
      }
      BootstrapSettings bs = BootstrapSettings.of(config, system.name());
      bs.problem(config).ifPresent(p -> {
        throw new IllegalArgumentException("insync.management.bootstrap.enabled: " + p);
      });
      log.info("cluster bootstrap: {}", bs);
    }
    if (!auth.writesEnabled()) {
      log.info("management HTTP writes are disabled (leave, down): set insync.management.token (INSYNC_MANAGEMENT_TOKEN)");
    } else if (config.getString("insync.management.token").length() < 16) {
      log.warn("insync.management.token is shorter than 16 characters: use a long random token");
    }
    // built once: ClusterBootstrap takes its own contact point from the settings the first time
    Route pekkoRoutes = management.getRoutes(s -> s.withReadOnly(false));
    InsyncRoutes insync = new InsyncRoutes(system, config.getDuration("insync.management.ask-timeout"));
    // one Guard around both, so insync's writes get the same bearer check as Pekko Management's
    Route routes = new Guard(auth).wrap(org.apache.pekko.http.javadsl.server.Directives.concat(pekkoRoutes, insync.route(),
        new ConsoleRoutes().route()));
    String host = settings.getHttpEffectiveBindHostname();
    int port = settings.getHttpEffectiveBindPort();
    ServerBinding binding;
    try {
      binding = Http.get(system).newServerAt(host, port).bind(routes).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("management HTTP cannot bind " + host + ":" + port + ": "
          + NodeHealthChecks.rootMessage(e) + " (another node on this port? set --management-port or "
          + "pekko.management.http.port)", e);
    }
    ManagementServer server = new ManagementServer(binding, insync);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "management-http-unbind",
        () -> binding.unbind().thenApply(d -> Done.getInstance()));
    log.info("management HTTP bound at {} (writes {})", server.url(), auth.writesEnabled() ? "need the bearer token" : "disabled");
    if (bootstrap) {
      log.info("starting Pekko cluster bootstrap (insync.management.bootstrap.enabled)");
      ClusterBootstrap.get(system).start();
    }
    return server;
  }

  /** Gives {@code GET /insync/alerts} its sources. */
  public void alerts(io.insync.ops.alerts.KamonAlerts.Started started) {
    insync.alerts(started);
  }

  /** Gives {@code /insync/flags} this node's copy of the flags. */
  public void flags(io.insync.cluster.flags.FlagStore flags) {
    insync.flags(flags);
  }

  /** Gives {@code /insync/access} and {@code /insync/nodes/N/drain} this node's access routing. */
  public void access(io.insync.gateway.AccessRouting access) {
    insync.access(access);
  }

  /** Gives {@code GET /insync/stats} (and so the console's charts) the nodes' live figures. */
  public void stats(io.insync.ops.alerts.NodeStats stats) {
    insync.stats(stats);
  }

  /** Gives {@code /insync/users/U/ban} and {@code /revoke} the cluster's revocations. */
  public void revocations(io.insync.cluster.auth.Revocations revocations) {
    insync.revocations(revocations);
  }

  /** Turns the {@code /insync} routes on (they answer 503 until the node serves clients). */
  public void insyncReady() {
    insync.markReady();
  }

  /** The bound address (the real port when 0 was configured). */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** {@code http://host:port}, as printed and as {@code bin/insync admin --url} takes it. */
  public String url() {
    InetSocketAddress a = address();
    return "http://" + a.getHostString() + ":" + a.getPort();
  }

  public CompletionStage<Done> stop() {
    return binding.unbind();
  }

  /** The bearer check in front of every route. */
  static final class Guard extends AllDirectives {
    private final WriteAuthorization auth;

    Guard(WriteAuthorization auth) {
      this.auth = auth;
    }

    Route wrap(Route inner) {
      return extractRequest(request -> {
        WriteAuthorization.Decision d = auth.decide(request.method().value(),
            request.getHeader("Authorization").map(HttpHeader::value));
        if (d.allowed()) return inner;
        StringBuilder body = new StringBuilder("{\"message\":");
        JsonOut.str(body, d.reason());
        body.append('}');
        HttpResponse response = HttpResponse.create().withStatus(d.status())
            .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
        if (d.challenge().isPresent()) response = response.addHeader(RawHeader.create("WWW-Authenticate", d.challenge().get()));
        return complete(response);
      });
    }
  }
}
