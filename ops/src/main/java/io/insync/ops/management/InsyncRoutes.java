package io.insync.ops.management;

import io.insync.cluster.NodeConnections;
import io.insync.cluster.alerts.AlertNotifier;
import io.insync.cluster.flags.Flag;
import io.insync.cluster.flags.FlagStore;
import io.insync.ops.alerts.KamonAlerts;
import io.insync.ops.alerts.Webhook;
import io.insync.core.Ids;
import io.insync.gateway.AccessRouting;
import io.insync.ops.bench.JsonOut;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.user.UserEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * insync's own management routes, under {@code /insync} (docs/operations.md lists them): where a user lives and
 * their inbox head and devices, shard distribution per node, gateway connections per node, and passivating a
 * user's entity. {@link ManagementServer} puts them inside the same bearer check as Pekko Management's routes,
 * so the GETs are free and the POST needs the token.
 *
 * <p>The management port opens before the node has joined and started sharding (so {@code /alive} answers from
 * the first moment); these routes answer {@code 503} until {@link #markReady()}, which the node calls once it
 * serves clients. A bad request is a {@code 400} with {@code {"message": ...}} either way.
 *
 * <p>Each group of routes is one method; a new group is one more argument to the {@code concat} in {@link
 * #route()}.
 */
public final class InsyncRoutes extends AllDirectives {
  /** The regions the shard routes report, by the name the answers use. */
  static final List<EntityTypeKey<?>> REGIONS = List.of(UserEntity.ENTITY_KEY, GroupEntity.ENTITY_KEY);

  private final ActorSystem<?> system;
  private final Duration timeout;
  private final AtomicBoolean ready = new AtomicBoolean();
  private volatile KamonAlerts.Started alerts;
  private volatile FlagStore flags;
  private volatile AccessRouting access;
  private volatile io.insync.ops.alerts.NodeStats stats;
  private volatile io.insync.cluster.auth.Revocations revocations;

  /** @param timeout how long a route waits for an entity or for the other nodes ({@code insync.management.ask-timeout}) */
  public InsyncRoutes(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /** From now on the routes answer (sharding is started and this node's gateway counter is registered). */
  public void markReady() {
    ready.set(true);
  }

  /** The alert notifier and this node's evaluator, for {@code GET /insync/alerts} (started after this port). */
  public void alerts(KamonAlerts.Started started) {
    this.alerts = started;
  }

  /** This node's copy of the feature flags, for {@code /insync/flags} (started after this port). */
  public void flags(FlagStore flags) {
    this.flags = flags;
  }

  /** This node's access routing, for {@code /insync/access} and the drain routes (started after this port). */
  public void access(AccessRouting access) {
    this.access = access;
  }

  /** The nodes' live figures, for {@code GET /insync/stats} (none when metrics are off here). */
  public void stats(io.insync.ops.alerts.NodeStats stats) {
    this.stats = stats;
  }

  /** The cluster's bans and token revocations, for the ban and revoke routes (started after this port). */
  public void revocations(io.insync.cluster.auth.Revocations revocations) {
    this.revocations = revocations;
  }

  /** Every insync route, under {@code /insync}. */
  public Route route() {
    return pathPrefix("insync", () -> concat(users(), shards(), connections(), alertsRoute(), flagsRoute(),
        accessRoute(), nodesRoute(), statsRoute(), revocationsRoute()));
  }

  // ================================================================ stats

  /**
   * {@code GET /insync/stats}: every member's latest figures over one metrics tick (sends, send errors and syncs
   * per second; send p50/p99 and Notify p99 in ms, null when nothing was measured), and the cluster's sums (the
   * worst p99). The console's charts poll it.
   */
  private Route statsRoute() {
    return path("stats", () -> get(() -> {
      if (!ready.get()) return notReady();
      io.insync.ops.alerts.NodeStats s = stats;
      if (s == null) {
        return complete(json(200, new JsonOut().put("metrics", false).putArray("nodes", List.of())
            .put("message", "metrics are off on this node (insync.metrics.enabled): no live figures").toString()));
      }
      long interval = system.settings().config().hasPath("kamon.metric.tick-interval")
          ? system.settings().config().getDuration("kamon.metric.tick-interval").toMillis() : 0;
      return completeWithFuture(s.all(timeout).handle((all, e) -> e == null ? json(200, statsJson(all, interval))
          : message(503, "the node stats did not answer: " + NodeHealthChecks.rootMessage(e))));
    }));
  }

  /** {@code GET /insync/stats}'s answer (public for the stats' own tests). */
  public static String statsJson(List<io.insync.ops.alerts.NodeStats.NodePoint> all, long intervalMs) {
    List<JsonOut> nodes = new ArrayList<>();
    double sends = 0;
    double errors = 0;
    double syncs = 0;
    double p99 = Double.NaN;
    for (io.insync.ops.alerts.NodeStats.NodePoint n : all) {
      io.insync.ops.alerts.NodeStats.Point p = n.point();
      nodes.add(new JsonOut().put("node", n.node()).put("at", p.at()).put("sends_per_s", p.sendsPerSecond())
          .put("send_errors_per_s", p.sendErrorsPerSecond()).put("syncs_per_s", p.syncsPerSecond())
          .put("send_p50_ms", p.sendP50Ms()).put("send_p99_ms", p.sendP99Ms()).put("notify_p99_ms", p.notifyP99Ms()));
      sends += p.sendsPerSecond();
      errors += p.sendErrorsPerSecond();
      syncs += p.syncsPerSecond();
      if (!Double.isNaN(p.sendP99Ms())) p99 = Double.isNaN(p99) ? p.sendP99Ms() : Math.max(p99, p.sendP99Ms());
    }
    return new JsonOut().put("metrics", true).put("interval_ms", intervalMs).putArray("nodes", nodes)
        .put("cluster", new JsonOut().put("sends_per_s", sends).put("send_errors_per_s", errors)
            .put("syncs_per_s", syncs).put("send_p99_ms", p99)).toString();
  }

  // ================================================================ access routing

  /**
   * {@code GET /insync/access[?user=U][&idc=D]}: the gateways a client should use, in order (WeChat's GSLB):
   * those of IDC {@code D} (default: this node's) first, then the least loaded, draining nodes left out. The
   * user keeps the order of equally loaded gateways stable for that user (a random one spreads anonymous
   * clients); it does not choose the IDC yet: SETs with a home IDC are not built.
   */
  private Route accessRoute() {
    return path("access", () -> get(() -> parameterOptional("user", user -> parameterOptional("idc", idc -> {
      if (user.isPresent() && userIdProblem(user.get()).isPresent()) return badRequest(userIdProblem(user.get()).get());
      if (idc.isPresent() && idc.get().isBlank()) return badRequest("idc is empty: leave it out for this node's IDC");
      AccessRouting a = access;
      if (a == null || !ready.get()) return notReady();
      String dc = idc.map(String::strip).orElse(a.selfIdc());
      long tieBreak = user.map(u -> (long) u.hashCode()).orElseGet(() -> java.util.concurrent.ThreadLocalRandom.current().nextLong());
      return completeWithFuture(a.route(dc, tieBreak).thenCombine(a.drainingNodes(), (gateways, draining) -> gateways.isEmpty()
              ? message(503, "no gateway to offer: every node is draining, or none has published its gateway yet")
              : json(200, accessJson(user.orElse(null), dc, gateways, draining)))
          .exceptionally(e -> message(503, "the access routing did not answer: " + NodeHealthChecks.rootMessage(e))));
    }))));
  }

  /** {@code GET /insync/access}'s answer. */
  static String accessJson(String user, String idc, List<AccessRouting.Gateway> gateways, List<String> draining) {
    List<JsonOut> list = new ArrayList<>();
    for (AccessRouting.Gateway g : gateways) {
      list.add(new JsonOut().put("node", g.node()).put("tcp", g.tcp()).put("websocket", g.webSocket().isEmpty() ? null
          : g.webSocket()).put("idc", g.idc()).put("connections", g.connections()));
    }
    return new JsonOut().put("user", user).put("idc", idc).putArray("gateways", list)
        .putRaw("draining", strings(draining)).toString();
  }

  /**
   * {@code POST /insync/nodes/{node}/drain} (form field {@code over}, e.g. {@code 30s}; default {@code
   * insync.gateway.access.drain-spread}): the node sends each of its clients a {@code Redirect}, spread over
   * that time, and every node's access answer leaves it out. {@code DELETE} on the same path undoes it. The
   * node is its cluster address or its {@code host:port}. Both are writes: they need the token.
   */
  private Route nodesRoute() {
    return pathPrefix("nodes", () -> path(PathMatchers.segment().slash("drain"), given -> concat(
        post(() -> formFieldOptional("over", over -> drain(given, over))),
        delete(() -> undrain(given)))));
  }

  private Route drain(String given, Optional<String> over) {
    AccessRouting a = access;
    if (a == null || !ready.get()) return notReady();
    Duration spread;
    try {
      spread = over.isPresent() ? spread(over.get()) : a.defaultSpread();
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    Optional<org.apache.pekko.cluster.Member> member = a.member(given);
    if (member.isEmpty()) return complete(noMember(given));
    org.apache.pekko.cluster.Member m = member.get();
    String node = m.address().toString();
    if (m.status() != org.apache.pekko.cluster.MemberStatus.up()) {
      return complete(message(409, node + " is " + m.status() + ", not Up: only an Up node can be drained"));
    }
    CompletionStage<HttpResponse> answer = a.route(m.dataCenter()).thenCompose(gateways -> {
      if (gateways.stream().noneMatch(g -> !g.node().equals(node))) {
        return CompletableFuture.completedFuture(message(409, "draining " + node + " would leave its clients no "
            + "other gateway (no other node is Up, serving and not draining): start another node first"));
      }
      return a.drain(m, spread).thenApply(everywhere -> json(202, new JsonOut().put("node", node).put("draining", true)
          .put("over_ms", spread.toMillis()).put("everywhere", everywhere)
          .put("message", node + " is draining: it redirects its clients over " + spread.toMillis() + " ms"
              + (everywhere ? "" : " (not every node took the change in time: gossip carries it on)")
              + "; watch GET /insync/connections").toString()));
    });
    return completeWithFuture(answer.exceptionally(e -> message(503, "the drain was not written: "
        + NodeHealthChecks.rootMessage(e))));
  }

  private Route undrain(String given) {
    AccessRouting a = access;
    if (a == null || !ready.get()) return notReady();
    Optional<org.apache.pekko.cluster.Member> member = a.member(given);
    if (member.isEmpty()) return complete(noMember(given));
    String node = member.get().address().toString();
    return completeWithFuture(a.cancel(member.get()).handle((everywhere, e) -> e != null
        ? message(503, "the drain was not undone: " + NodeHealthChecks.rootMessage(e))
        : json(200, new JsonOut().put("node", node).put("draining", false).put("everywhere", everywhere)
            .put("message", node + " is not draining: it serves new clients again").toString())));
  }

  private static HttpResponse noMember(String given) {
    return message(404, "no member " + given + " (GET /cluster/members lists them): give its address, e.g. "
        + "pekko://insync@127.0.0.1:25520, or its host:port");
  }

  /** A drain's window: {@code 500ms}, {@code 30s}, {@code 5m}; from 0 to 1 hour. */
  static Duration spread(String over) {
    return duration("over", over, Duration.ofHours(1), "1 hour");
  }

  /** {@code field}'s duration: a whole number and {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}; at most {@code max}. */
  static Duration duration(String field, String value, Duration max, String maxText) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*(\\d{1,9})\\s*(ms|s|m|h|d)\\s*").matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException(field + " must be a duration like 500ms, 30s, 5m, 2h or 7d (was '" + value + "')");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.compareTo(max) > 0) throw new IllegalArgumentException(field + " is at most " + maxText + " (was " + value + ")");
    return d;
  }

  // ================================================================ bans and revocations

  /**
   * {@code POST /insync/users/{id}/ban} (form {@code for}: a duration, else until lifted; {@code reason};
   * {@code who}): every token of the user is refused and every session closed, on every node.
   */
  private Route ban(String user, Map<String, String> form, Optional<String> header) {
    io.insync.cluster.auth.Revocations r = revocations;
    if (r == null) return notReady();
    java.time.Instant until;
    String who;
    try {
      checkFields(form, List.of("for", "reason", "who"));
      until = form.containsKey("for")
          ? java.time.Instant.now().plus(duration("for", form.get("for"), Duration.ofDays(3650), "3650 days")) : null;
      who = who(form.get("who"), header.orElse(null));
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    return revocationAnswer(() -> r.ban(user, until, who, form.getOrDefault("reason", "")).thenApply(b ->
        json(200, revocationJson(b).put("message", "user " + user + " is banned" + (until == null ? " until lifted"
            : " until " + until) + ": every session is closed, every token refused").toString())));
  }

  private Route unban(String user) {
    io.insync.cluster.auth.Revocations r = revocations;
    if (r == null) return notReady();
    return revocationAnswer(() -> r.unban(user).thenApply(had -> json(200, new JsonOut().put("user", user)
        .put("banned", false).put("message", had ? "user " + user + "'s ban is lifted" : "user " + user + " was not banned")
        .toString())));
  }

  /**
   * {@code POST /insync/users/{id}/revoke} (form {@code device}, else every device; {@code reason}; {@code who}):
   * the tokens issued before now are refused and their sessions closed; new tokens work.
   */
  private Route revoke(String user, Map<String, String> form, Optional<String> header) {
    io.insync.cluster.auth.Revocations r = revocations;
    if (r == null) return notReady();
    String who;
    String device = form.get("device");
    try {
      checkFields(form, List.of("device", "reason", "who"));
      who = who(form.get("who"), header.orElse(null));
      if (device != null && !Ids.isValidDeviceId(device)) throw new IllegalArgumentException("invalid device id '" + device + "'");
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    return revocationAnswer(() -> r.revoke(user, device, who, form.getOrDefault("reason", "")).thenApply(v ->
        json(200, revocationJson(v).put("message", "the tokens of " + user + (device == null ? "" : "/" + device)
            + " issued before " + java.time.Instant.ofEpochMilli(v.until()) + " are refused and their sessions closed")
            .toString())));
  }

  /** {@code GET /insync/revocations}: every ban and revocation this node's copy holds. */
  private Route revocationsRoute() {
    return path("revocations", () -> get(() -> {
      io.insync.cluster.auth.Revocations r = revocations;
      if (r == null || !ready.get()) return notReady();
      return complete(json(200, new JsonOut().putArray("revocations", r.all().stream().map(InsyncRoutes::revocationJson)
          .toList()).toString()));
    }));
  }

  static JsonOut revocationJson(io.insync.cluster.auth.Revocation r) {
    boolean ban = r.kind() == io.insync.cluster.auth.Revocation.Kind.BAN;
    JsonOut out = new JsonOut().put("kind", ban ? "ban" : "revoke").put("user", r.user()).put("device", r.device())
        .put("at", r.at());
    if (ban && r.until() == 0) out.putRaw("until", "null"); // until lifted
    else out.put(ban ? "until" : "issued_before", r.until());
    return out.put("who", r.who()).put("reason", r.reason());
  }

  private static void checkFields(Map<String, String> form, List<String> known) {
    for (String k : form.keySet()) {
      if (!known.contains(k)) throw new IllegalArgumentException("unknown field '" + k + "': " + String.join(", ", known));
    }
    if (form.getOrDefault("reason", "").length() > 200) throw new IllegalArgumentException("reason is at most 200 characters");
  }

  /** A revocation write's answer: 400 for a refused value, 507 when the cluster holds the most it may, 503 otherwise. */
  private Route revocationAnswer(java.util.function.Supplier<CompletionStage<HttpResponse>> write) {
    CompletionStage<HttpResponse> answer;
    try {
      answer = write.get();
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    return completeWithFuture(answer.exceptionally(e -> {
      Throwable t = unwrap(e);
      if (t instanceof IllegalArgumentException) return message(400, t.getMessage());
      if (t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().contains("max-entries")) {
        return message(507, t.getMessage());
      }
      return message(503, "not written: " + NodeHealthChecks.rootMessage(e));
    }));
  }

  // ================================================================ flags

  /** Who a change is audited as when the request names nobody: whoever holds the management token. */
  static final String TOKEN_HOLDER = "management-token";

  /**
   * {@code GET /insync/flags} (every flag as this node's copy has it), {@code GET /insync/flags/NAME}, and {@code
   * PUT /insync/flags/NAME} (a form: {@code percent}, {@code allow}, {@code deny}, {@code sets}, {@code guard}, each
   * optional, lists comma-separated and replacing the flag's; {@code who}, else the header {@code X-Insync-Who},
   * else {@value #TOKEN_HOLDER}). The PUT is a write: it needs the token.
   */
  private Route flagsRoute() {
    return pathPrefix("flags", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> {
          FlagStore f = flags;
          if (f == null || !ready.get()) return notReady();
          return complete(json(200, flagsJson(f.all().values())));
        })),
        path(PathMatchers.segment(), name -> concat(
            get(() -> {
              FlagStore f = flags;
              if (f == null || !ready.get()) return notReady();
              return f.get(name).map(flag -> complete(json(200, flagJson(flag).toString())))
                  .orElseGet(() -> complete(message(404, "no flag " + name + " (a flag nobody set is off for everyone)")));
            }),
            put(() -> formFieldMap(form -> optionalHeaderValueByName("X-Insync-Who", header -> {
              FlagStore f = flags;
              if (f == null || !ready.get()) return notReady();
              Flag.Update update;
              String who;
              try {
                update = flagUpdate(form, guardRules());
                who = who(form.get("who"), header.orElse(null));
              } catch (IllegalArgumentException e) {
                return badRequest(e.getMessage());
              }
              return completeWithFuture(f.change(name, update, who).handle((flag, e) -> {
                if (e == null) return json(200, flagJson(flag).put("message", "flag " + name + " is " + flag.summary()).toString());
                Throwable t = unwrap(e);
                if (t instanceof IllegalArgumentException) return message(400, t.getMessage());
                return message(503, "flag " + name + " not changed: " + NodeHealthChecks.rootMessage(e));
              }));
            })))))));
  }

  /** The rules a flag may name as guards: this node's enabled segment rules. */
  private List<String> guardRules() {
    return io.insync.ops.alerts.AlertRule.all(system.settings().config().getConfig("insync.alerts")).stream()
        .filter(r -> r.segmentTag().isPresent()).map(io.insync.ops.alerts.AlertRule::name).toList();
  }

  /** The change a PUT's form asks for; a bad field is an {@link IllegalArgumentException} saying why. */
  static Flag.Update flagUpdate(Map<String, String> form, List<String> guardRules) {
    for (String k : form.keySet()) {
      if (!List.of("percent", "allow", "deny", "sets", "guard", "who").contains(k)) {
        throw new IllegalArgumentException("unknown field '" + k + "': percent, allow, deny, sets, guard, who");
      }
    }
    Optional<Integer> bp = Optional.ofNullable(form.get("percent")).map(InsyncRoutes::basisPoints);
    Optional<List<String>> guards = Optional.ofNullable(form.get("guard")).map(InsyncRoutes::list);
    for (String g : guards.orElse(List.of())) {
      if (!guardRules.contains(g)) {
        throw new IllegalArgumentException("unknown guard rule '" + g + "': a guard must be a segment rule "
            + "(segment-tag) enabled on this node: " + (guardRules.isEmpty() ? "none is" : guardRules));
      }
    }
    Flag.Update u = new Flag.Update(bp, Optional.ofNullable(form.get("allow")).map(InsyncRoutes::list),
        Optional.ofNullable(form.get("deny")).map(InsyncRoutes::list),
        Optional.ofNullable(form.get("sets")).map(InsyncRoutes::list), guards);
    if (form.keySet().stream().noneMatch(k -> !k.equals("who"))) {
      throw new IllegalArgumentException("nothing to change: give percent, allow, deny, sets or guard");
    }
    return u;
  }

  /** {@code 10}, {@code 10%}, {@code 0.5} → basis points (100 = 1%). */
  static int basisPoints(String percent) {
    String p = percent.strip();
    if (p.endsWith("%")) p = p.substring(0, p.length() - 1).strip();
    java.math.BigDecimal d;
    try {
      d = new java.math.BigDecimal(p);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("percent must be a number from 0 to 100 (was '" + percent + "')");
    }
    if (d.signum() < 0 || d.compareTo(java.math.BigDecimal.valueOf(100)) > 0) {
      throw new IllegalArgumentException("percent must be from 0 to 100 (was " + percent + ")");
    }
    java.math.BigDecimal bp = d.movePointRight(2);
    if (bp.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("percent has at most two decimals (steps of 0.01%; was " + percent + ")");
    }
    return bp.intValueExact();
  }

  private static List<String> list(String csv) {
    List<String> out = new ArrayList<>();
    for (String s : csv.split(",")) if (!s.isBlank() && !out.contains(s.strip())) out.add(s.strip());
    return List.copyOf(out);
  }

  /** Who a change is audited as: the form's {@code who}, the header's, or {@value #TOKEN_HOLDER}. */
  static String who(String form, String header) {
    String w = form != null && !form.isBlank() ? form.strip() : header != null && !header.isBlank() ? header.strip()
        : TOKEN_HOLDER;
    if (w.length() > 64) throw new IllegalArgumentException("who is at most 64 characters");
    if (w.startsWith(io.insync.cluster.flags.FlagGuardian.WHO_PREFIX)) {
      throw new IllegalArgumentException("who '" + w + "' is reserved for automatic rollbacks");
    }
    return w;
  }

  /** {@code GET /insync/flags}'s answer: every flag, by name. */
  static String flagsJson(java.util.Collection<Flag> all) {
    return new JsonOut().putArray("flags", all.stream().map(InsyncRoutes::flagJson).toList()).toString();
  }

  /** One flag: its step, audience, guards and audit trail (newest first; times in epoch ms). */
  static JsonOut flagJson(Flag f) {
    List<JsonOut> audit = new ArrayList<>();
    for (int i = f.audit().size() - 1; i >= 0; i--) {
      Flag.Change c = f.audit().get(i);
      audit.add(new JsonOut().put("who", c.who()).put("at", c.at()).put("from", c.from()).put("to", c.to()));
    }
    return new JsonOut().put("name", f.name()).put("percent", f.basisPoints() / 100.0).put("step", f.step())
        .putRaw("allow", strings(f.allow())).putRaw("deny", strings(f.deny())).putRaw("sets", strings(f.sets()))
        .putRaw("guards", strings(f.guards())).putArray("audit", audit);
  }

  // ================================================================ alerts

  /**
   * {@code GET /insync/alerts}: what fires in the cluster and the recent notifications (from the cluster's
   * notifier), and this node's own evaluation of every rule. The notifier not answering still gives this
   * node's view, with the reason in {@code notifier_error}.
   */
  private Route alertsRoute() {
    return path("alerts", () -> get(() -> {
      KamonAlerts.Started a = alerts;
      if (a == null || !ready.get()) return notReady();
      CompletionStage<HttpResponse> answer = AskPattern.<AlertNotifier.Command, AlertNotifier.Alerts>ask(a.notifier(),
              AlertNotifier.GetAlerts::new, timeout, system.scheduler())
          .handle((all, e) -> json(200, alertsJson(all, e == null ? null
              : "the cluster's alert notifier did not answer within " + timeout.toMillis() + " ms ("
                  + NodeHealthChecks.rootMessage(e) + ")", a, system.name()).toString()));
      return completeWithFuture(answer);
    }));
  }

  static JsonOut alertsJson(AlertNotifier.Alerts all, String notifierError, KamonAlerts.Started a, String cluster) {
    JsonOut out = new JsonOut();
    if (all != null) {
      out.putArray("firing", all.firing().stream().map(n -> Webhook.json(n, cluster)).toList());
      out.putArray("recent", all.recent().stream().map(n -> Webhook.json(n, cluster)).toList());
    } else {
      out.putRaw("firing", "null").putRaw("recent", "null").put("notifier_error", notifierError);
    }
    JsonOut self = new JsonOut().put("evaluating", a.local().isPresent());
    List<JsonOut> rules = new ArrayList<>();
    a.local().ifPresent(k -> {
      for (AlertNotifier.RuleState r : k.latest()) {
        rules.add(new JsonOut().put("rule", r.rule()).put("severity", r.severity()).put("firing", r.firing())
            .put("value", r.value()).put("threshold", r.threshold()).put("summary", r.summary()));
      }
    });
    self.putArray("rules", rules);
    return out.put("this_node", self);
  }

  // ================================================================ users

  private Route users() {
    return pathPrefix("users", () -> concat(
        pathEndOrSingleSlash(() -> badRequest("a user id is needed: /insync/users/{id}")),
        path(PathMatchers.segment(), id -> get(() -> withUser(id, this::user))),
        path(PathMatchers.segment().slash("passivate"), id -> post(() -> withUser(id, this::passivate))),
        path(PathMatchers.segment().slash("ban"), id -> concat(
            post(() -> formFieldMap(form -> optionalHeaderValueByName("X-Insync-Who", h -> withUser(id, u -> ban(u, form, h))))),
            delete(() -> withUser(id, this::unban)))),
        path(PathMatchers.segment().slash("revoke"), id -> post(() -> formFieldMap(form ->
            optionalHeaderValueByName("X-Insync-Who", h -> withUser(id, u -> revoke(u, form, h))))))));
  }

  private Route withUser(String id, java.util.function.Function<String, Route> inner) {
    Optional<String> problem = userIdProblem(id);
    if (problem.isPresent()) return badRequest(problem.get());
    if (!ready.get()) return notReady();
    return inner.apply(id);
  }

  /** Why {@code id} is not a user id, if it is not (the same rule as the gateway's, {@link Ids}). */
  static Optional<String> userIdProblem(String id) {
    if (id == null || id.isBlank()) return Optional.of("a user id is needed: /insync/users/{id}");
    if (!Ids.isValidUserId(id)) {
      return Optional.of("invalid user id '" + id + "': 1 to 64 characters from A-Z a-z 0-9 . _ @ -");
    }
    return Optional.empty();
  }

  private Route user(String id) {
    String shard = shardOf(id);
    CompletionStage<HttpResponse> answer = ClusterSharding.get(system)
        .entityRefFor(UserEntity.ENTITY_KEY, id)
        .<UserEntity.Inspection>ask(UserEntity.Inspect::new, timeout)
        .handle((inspection, e) -> e == null ? json(200, userJson(inspection, shard))
            : entityDidNotAnswer(id, shard, e));
    return completeWithFuture(answer);
  }

  private Route passivate(String id) {
    String shard = shardOf(id);
    CompletionStage<HttpResponse> answer = ClusterSharding.get(system)
        .entityRefFor(UserEntity.ENTITY_KEY, id)
        .<UserEntity.Passivating>ask(UserEntity.Passivate::new, timeout)
        .handle((p, e) -> {
          if (e != null) return entityDidNotAnswer(id, shard, e);
          if (!p.accepted()) return message(409, "user " + id + " cannot be passivated: " + p.reason());
          return json(202, new JsonOut().put("user", p.user()).put("node", p.node()).put("shard", shard)
              .put("message", "user " + id + " passivates on " + p.node()
                  + "; its next message starts it again from the journal").toString());
        });
    return completeWithFuture(answer);
  }

  private HttpResponse entityDidNotAnswer(String id, String shard, Throwable e) {
    String why = NodeHealthChecks.rootMessage(e);
    boolean timedOut = unwrap(e) instanceof TimeoutException;
    return message(503, "user " + id + " (shard " + shard + ") did not answer"
        + (timedOut ? " within " + timeout.toMillis() + " ms" : ": " + why)
        + ": its node may be unreachable, its shard moving, or the journal down");
  }

  private String shardOf(String id) {
    int shards = system.settings().config().getInt("pekko.cluster.sharding.number-of-shards");
    return new HashCodeMessageExtractor<UserEntity.Command>(shards).shardId(id);
  }

  /**
   * {@code GET /insync/users/{id}}'s answer. {@code set} is null: SETs (users split by a hash of their id, each
   * with a home IDC; ARCHITECTURE.md) are not built yet, and a number made up here would be read as one.
   */
  static String userJson(UserEntity.Inspection i, String shard) {
    List<JsonOut> devices = new ArrayList<>();
    for (UserEntity.DeviceInfo d : i.devices()) {
      devices.add(new JsonOut().put("device", d.device()).put("platform", d.platform()).put("acked_key", d.syncKey())
          .put("online", d.online()).put("registered_at", d.registeredAt()));
    }
    return new JsonOut().put("user", i.user()).put("node", i.node()).put("shard", shard).put("set", (String) null)
        .put("inbox_head", i.lastSeq()).putArray("devices", devices)
        .put("entity", new JsonOut().put("status", "running").put("started_at", i.startedAt())
            .put("pending_deliveries", i.pendingDeliveries())
            .put("online_devices", i.devices().stream().filter(UserEntity.DeviceInfo::online).count()))
        .toString();
  }

  // ================================================================ shards

  private Route shards() {
    return path("shards", () -> get(() -> parameterOptional("region", region -> {
      List<EntityTypeKey<?>> keys = REGIONS;
      if (region.isPresent()) {
        Optional<EntityTypeKey<?>> key = REGIONS.stream().filter(k -> k.name().equals(region.get())).findFirst();
        if (key.isEmpty()) return badRequest("unknown region '" + region.get() + "': one of " + regionNames());
        keys = List.of(key.get());
      }
      if (!ready.get()) return notReady();
      return completeWithFuture(shardStats(keys).handle((stats, e) -> e == null ? json(200, shardsJson(stats, appVersions()))
          : message(503, "the shard coordinators did not answer within " + timeout.toMillis() + " ms: "
              + NodeHealthChecks.rootMessage(e))));
    })));
  }

  /**
   * Each member's {@code pekko.cluster.app-version}, by address, as this node sees the membership now. Sharding
   * allocates shards to the members with the newest version first, so during a rolling upgrade this column shows
   * the shards moving to the new build.
   */
  private Map<String, String> appVersions() {
    Map<String, String> out = new TreeMap<>();
    for (org.apache.pekko.cluster.Member m : org.apache.pekko.cluster.typed.Cluster.get(system).state().getMembers()) {
      out.put(m.address().toString(), m.appVersion().version());
    }
    return out;
  }

  static String regionNames() {
    return String.join(", ", REGIONS.stream().map(EntityTypeKey::name).toList());
  }

  /** One region on one node: its shards (id to live entities) and the shards that did not answer. */
  record RegionOnNode(Map<String, Integer> shards, List<String> failed) {
    int entities() {
      return shards.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** Region name to node address to what that node hosts, for each region asked, in order. */
  private CompletionStage<Map<String, Map<String, RegionOnNode>>> shardStats(List<EntityTypeKey<?>> keys) {
    ActorRef<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery> shardState =
        ClusterSharding.get(system).shardState();
    List<CompletableFuture<Map<String, RegionOnNode>>> asks = new ArrayList<>();
    for (EntityTypeKey<?> key : keys) {
      // the coordinator's own deadline for the regions' answers, below ours so its partial answer arrives first
      Duration regionsTimeout = timeout.multipliedBy(3).dividedBy(4);
      asks.add(AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
              shardState, r -> new GetClusterShardingStats(key, regionsTimeout, r), timeout, system.scheduler())
          .thenApply(InsyncRoutes::byNode).toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
      Map<String, Map<String, RegionOnNode>> out = new java.util.LinkedHashMap<>();
      for (int n = 0; n < keys.size(); n++) out.put(keys.get(n).name(), asks.get(n).join());
      return out;
    });
  }

  private static Map<String, RegionOnNode> byNode(ShardRegion.ClusterShardingStats stats) {
    Map<String, RegionOnNode> out = new TreeMap<>();
    for (Map.Entry<Address, ShardRegion.ShardRegionStats> e : stats.getRegions().entrySet()) {
      Map<String, Integer> shards = new TreeMap<>();
      e.getValue().getStats().forEach((shard, count) -> shards.put(shard, ((Number) count).intValue()));
      out.put(e.getKey().toString(), new RegionOnNode(shards, e.getValue().getFailed().stream().sorted().toList()));
    }
    return out;
  }

  /**
   * {@code GET /insync/shards}'s answer: per node (sorted by address), per region, how many shards and live
   * entities it hosts and which shards did not answer, and the node's app-version ({@code null} for a node that
   * is no member any more); then the totals per region. A member hosting no shard yet is listed too.
   */
  static String shardsJson(Map<String, Map<String, RegionOnNode>> byRegion, Map<String, String> versions) {
    java.util.SortedSet<String> nodes = new java.util.TreeSet<>(versions.keySet());
    byRegion.values().forEach(m -> nodes.addAll(m.keySet()));
    List<JsonOut> nodeList = new ArrayList<>();
    for (String node : nodes) {
      JsonOut regions = new JsonOut();
      byRegion.forEach((region, m) -> {
        RegionOnNode r = m.getOrDefault(node, new RegionOnNode(Map.of(), List.of()));
        regions.put(region, new JsonOut().put("shards", r.shards().size()).put("entities", r.entities())
            .putRaw("failed", strings(r.failed())));
      });
      nodeList.add(new JsonOut().put("node", node).put("version", versions.get(node)).put("regions", regions));
    }
    JsonOut totals = new JsonOut();
    byRegion.forEach((region, m) -> totals.put(region, new JsonOut()
        .put("shards", m.values().stream().mapToInt(r -> r.shards().size()).sum())
        .put("entities", m.values().stream().mapToInt(RegionOnNode::entities).sum())));
    return new JsonOut().putArray("nodes", nodeList).put("total", totals).toString();
  }

  // ================================================================ connections

  private Route connections() {
    return path("connections", () -> get(() -> {
      if (!ready.get()) return notReady();
      return completeWithFuture(NodeConnections.countAll(system, timeout).handle((counts, e) ->
          e == null ? json(200, connectionsJson(counts))
              : message(503, "the receptionist did not answer: " + NodeHealthChecks.rootMessage(e))));
    }));
  }

  /**
   * {@code GET /insync/connections}'s answer: every node whose gateway is registered, sorted by address, with
   * its open connections (null and an {@code error} if it did not answer), and the total of those that did.
   */
  static String connectionsJson(List<NodeConnections.NodeCount> counts) {
    List<JsonOut> nodes = new ArrayList<>();
    long total = 0;
    for (NodeConnections.NodeCount c : counts.stream()
        .sorted(java.util.Comparator.comparing(NodeConnections.NodeCount::node)).toList()) {
      JsonOut n = new JsonOut().put("node", c.node());
      if (c.open().isPresent()) {
        n.put("connections", c.open().getAsInt());
        total += c.open().getAsInt();
      } else {
        n.putRaw("connections", "null").put("error", c.error());
      }
      nodes.add(n);
    }
    return new JsonOut().putArray("nodes", nodes).put("total", total).toString();
  }

  // ================================================================ answers

  private Route notReady() {
    return complete(message(503, "this node is not ready yet (joining the cluster, starting sharding or its "
        + "gateway): the /insync routes answer once it serves clients"));
  }

  private Route badRequest(String reason) {
    return complete(message(400, reason));
  }

  static HttpResponse message(int status, String reason) {
    return json(status, new JsonOut().put("message", reason).toString());
  }

  static HttpResponse json(int status, String body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
  }

  private static String strings(List<String> list) {
    StringBuilder b = new StringBuilder("[");
    for (String s : list) {
      if (b.length() > 1) b.append(',');
      JsonOut.str(b, s);
    }
    return b.append(']').toString();
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
