package io.insync.cluster.alerts;

import io.insync.persistence.ClusterMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One notifier per cluster (a cluster singleton): every node evaluates the alert rules on its own metrics and
 * reports each rule's state here every tick; a rule fires cluster-wide while any node's recent report says it
 * fires, and is resolved when none does. So a fault every node sees (Cassandra down) gives one notification,
 * not one per node. Each notification goes to the log and, if configured, to the webhook (JSON, retried with
 * backoff); while a rule keeps firing it is repeated every {@code repeat-interval}. A node whose reports stop
 * (it died, or left) stops counting after {@code report-expiry}.
 *
 * <p>State lives in memory: when the singleton moves (its node left or died), the new one starts empty, so a
 * rule still firing is notified again once. That is the one case of a repeated notification; it is logged.
 */
public final class AlertNotifier {
  private static final Logger log = LoggerFactory.getLogger(AlertNotifier.class);

  private AlertNotifier() {}

  public interface Command extends ClusterMessage {}

  /** One rule's state on one node, as its last evaluation found it. */
  public record RuleState(String rule, String severity, boolean firing, double value, double threshold, String summary) {}

  /** A node's states of every rule (sent every metrics tick). */
  public record Report(String node, List<RuleState> states) implements Command {}

  /** What is firing now and the recent notifications. */
  public record GetAlerts(ActorRef<Alerts> replyTo) implements Command {}

  public record Alerts(List<Notification> firing, List<Notification> recent) implements ClusterMessage {}

  /**
   * One notification: {@code status} is {@code firing} or {@code resolved}; {@code node} the first node that
   * reported it firing, {@code nodes} all that did; times are epoch milliseconds.
   */
  public record Notification(String status, String rule, String severity, double value, double threshold, String node,
      List<String> nodes, String summary, long time, long startsAt) implements ClusterMessage {}

  /**
   * A notification made elsewhere (a flag's automatic rollback, {@code io.insync.cluster.flags.FlagGuardian}): sent
   * like the notifier's own (log, webhook with retries, the recent list) and not tracked as a firing rule.
   */
  public record Announce(Notification notification) implements Command {}

  private record Expire() implements Command, NoSerializationVerificationNeeded {}

  private record Posted(Notification n, int attempt, int status, String error) implements Command,
      NoSerializationVerificationNeeded {}

  private record Retry(Notification n, int attempt) implements Command, NoSerializationVerificationNeeded {}

  /**
   * {@code webhook} empty: log only. {@code retries}: further attempts after a failed POST (non-2xx or no
   * answer), {@code backoff} doubling from the first.
   */
  public record Settings(String webhook, Duration timeout, int retries, Duration backoff, Duration repeatInterval,
      Duration reportExpiry, int history, String cluster) {}

  /**
   * Starts the singleton (on the oldest node) and returns its proxy; call on every node. {@code poster}
   * delivers to {@code settings.webhook()} (unused when that is empty).
   */
  public static ActorRef<Command> init(ActorSystem<?> system, Settings settings, Poster poster) {
    return ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(behavior(settings, System::currentTimeMillis, poster))
            .onFailure(SupervisorStrategy.restart()), "insync-alerts"));
  }

  /** Delivers one notification to the webhook; the future's value is the HTTP status. */
  public interface Poster {
    CompletableFuture<Integer> post(Notification n);
  }

  /** The notifier's clock (tests drive their own). */
  public interface Clock {
    long millis();
  }

  public static Behavior<Command> behavior(Settings settings, Clock clock, Poster poster) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Expire(), Duration.ofSeconds(1));
      return new State(ctx, timers, settings, clock, poster).behavior();
    }));
  }

  /** Per rule: the latest report of each node, and whether a firing was notified. */
  private static final class RuleView {
    final Map<String, RuleState> byNode = new TreeMap<>();
    final Map<String, Long> receivedAt = new HashMap<>();
    Notification firing; // the last firing notification while the rule fires; null while resolved
    long lastSent;
  }

  private static final class State {
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final Settings settings;
    private final Clock clock;
    private final Poster poster;
    private final Map<String, RuleView> rules = new TreeMap<>();
    private final Deque<Notification> recent = new ArrayDeque<>();
    private int retryTimers;

    State(ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings, Clock clock, Poster poster) {
      this.ctx = ctx;
      this.timers = timers;
      this.settings = settings;
      this.clock = clock;
      this.poster = poster;
      log.info("alert notifier started on this node (webhook {})", settings.webhook().isEmpty() ? "off: log only" : settings.webhook());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Report.class, r -> {
            long now = clock.millis();
            for (RuleState s : r.states()) {
              RuleView v = rules.computeIfAbsent(s.rule(), k -> new RuleView());
              v.byNode.put(r.node(), s);
              v.receivedAt.put(r.node(), now);
            }
            decide(now);
            return Behaviors.same();
          })
          .onMessage(Expire.class, e -> {
            long now = clock.millis();
            for (RuleView v : rules.values()) {
              v.receivedAt.entrySet().removeIf(en -> {
                boolean stale = now - en.getValue() > settings.reportExpiry().toMillis();
                if (stale) v.byNode.remove(en.getKey());
                return stale;
              });
            }
            decide(now);
            return Behaviors.same();
          })
          .onMessage(GetAlerts.class, g -> {
            List<Notification> firing = new ArrayList<>();
            for (RuleView v : rules.values()) if (v.firing != null) firing.add(v.firing);
            g.replyTo().tell(new Alerts(List.copyOf(firing), List.copyOf(recent)));
            return Behaviors.same();
          })
          .onMessage(Posted.class, p -> {
            if (p.status() >= 200 && p.status() < 300) {
              log.debug("alert {} {} delivered to the webhook", p.n().rule(), p.n().status());
            } else if (p.attempt() < settings.retries()) {
              long delay = settings.backoff().toMillis() << Math.min(p.attempt(), 10);
              log.warn("alert webhook failed for {} {} ({}); retry {} of {} in {} ms", p.n().rule(), p.n().status(),
                  p.error() != null ? p.error() : "HTTP " + p.status(), p.attempt() + 1, settings.retries(), delay);
              timers.startSingleTimer("retry-" + (retryTimers++), new Retry(p.n(), p.attempt() + 1), Duration.ofMillis(delay));
            } else {
              log.error("alert webhook gave up on {} {} after {} attempts ({})", p.n().rule(), p.n().status(),
                  p.attempt() + 1, p.error() != null ? p.error() : "HTTP " + p.status());
            }
            return Behaviors.same();
          })
          .onMessage(Announce.class, a -> {
            send(a.notification());
            return Behaviors.same();
          })
          .onMessage(Retry.class, r -> {
            post(r.n(), r.attempt());
            return Behaviors.same();
          })
          .build();
    }

    /** Fire, repeat or resolve each rule from the nodes' recent reports. */
    private void decide(long now) {
      for (Map.Entry<String, RuleView> e : rules.entrySet()) {
        RuleView v = e.getValue();
        List<String> nodes = new ArrayList<>();
        RuleState worst = null;
        for (Map.Entry<String, RuleState> n : v.byNode.entrySet()) {
          if (!n.getValue().firing()) continue;
          nodes.add(n.getKey());
          if (worst == null || n.getValue().value() > worst.value()) worst = n.getValue();
        }
        if (worst != null) {
          if (v.firing == null) {
            v.firing = new Notification("firing", e.getKey(), worst.severity(), worst.value(), worst.threshold(),
                nodes.get(0), List.copyOf(nodes), worst.summary(), now, now);
            notify(v, now);
          } else if (now - v.lastSent >= settings.repeatInterval().toMillis()) {
            v.firing = new Notification("firing", e.getKey(), worst.severity(), worst.value(), worst.threshold(),
                nodes.get(0), List.copyOf(nodes), worst.summary(), now, v.firing.startsAt());
            notify(v, now);
          }
        } else if (v.firing != null) {
          Notification f = v.firing;
          v.firing = null;
          Notification resolved = new Notification("resolved", f.rule(), f.severity(), lastValue(v), f.threshold(),
              f.node(), f.nodes(), f.summary(), now, f.startsAt());
          send(resolved);
        }
      }
    }

    private static double lastValue(RuleView v) {
      double max = Double.NaN;
      for (RuleState s : v.byNode.values()) if (Double.isNaN(max) || s.value() > max) max = s.value();
      return max;
    }

    private void notify(RuleView v, long now) {
      v.lastSent = now;
      send(v.firing);
    }

    private void send(Notification n) {
      recent.addFirst(n);
      while (recent.size() > settings.history()) recent.removeLast();
      if (n.status().equals("firing")) {
        log.warn("ALERT firing: {} ({}) value {} threshold {} on {}: {}", n.rule(), n.severity(), n.value(),
            n.threshold(), n.nodes(), n.summary());
      } else if (n.status().equals("resolved")) {
        log.info("ALERT resolved: {} ({}) value {}: {}", n.rule(), n.severity(), n.value(), n.summary());
      } else {
        log.warn("ALERT {}: {} ({}) value {} on {}: {}", n.status(), n.rule(), n.severity(), n.value(), n.nodes(),
            n.summary());
      }
      if (!settings.webhook().isEmpty()) post(n, 0);
    }

    private void post(Notification n, int attempt) {
      CompletableFuture<Integer> f;
      try {
        f = poster.post(n);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      ctx.pipeToSelf(f, (status, err) -> err != null
          ? new Posted(n, attempt, -1, rootMessage(err))
          : new Posted(n, attempt, status, null));
    }
  }

  static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
