package io.insync.cluster.flags;

import io.insync.cluster.alerts.AlertNotifier;
import io.insync.persistence.ClusterMessage;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic rollback, one per cluster (a cluster singleton, so one node decides): every node that finds a segment
 * rule firing for a segment {@code NAME:on} reports it here each metrics tick; when flag {@code NAME} lists that
 * rule among its guards, the guardian sets the flag back to its previous step ({@link Flag#previousStep()}),
 * audited as {@code auto-rollback:<rule>}, and announces it through the alert notifier (log and webhook, status
 * {@code rollback}).
 *
 * <p>Once per step: while the flag's newest change is an automatic rollback, further reports do nothing (the rule
 * usually keeps firing for its window after the rollback). A person's next change of the flag arms it again. The
 * decision reads the replicated flag, so a guardian that moved to another node (its node left) does not roll back
 * twice either; only a report that arrives while a rollback is being written is held in memory.
 */
public final class FlagGuardian {
  private static final Logger log = LoggerFactory.getLogger(FlagGuardian.class);

  /** Who an automatic rollback is audited as: {@code auto-rollback:<rule>}. */
  public static final String WHO_PREFIX = "auto-rollback:";

  private FlagGuardian() {}

  public interface Command extends ClusterMessage {}

  /** One node found {@code rule} firing, worst for {@code segment} (a segment tag value such as {@code F:on}). */
  public record SegmentFiring(String node, String rule, String severity, String segment, double value,
      double threshold, String summary) implements Command {}

  private record Written(SegmentFiring cause, Flag before, Flag after, Throwable failure) implements Command,
      NoSerializationVerificationNeeded {}

  /** Starts the singleton and returns its proxy; call on every node. */
  public static ActorRef<Command> init(ActorSystem<?> system, FlagStore flags, ActorRef<AlertNotifier.Command> notifier) {
    return ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(behavior(flags, notifier)).onFailure(SupervisorStrategy.restart()), "insync-flag-guardian"));
  }

  /** The flag an automatic rollback concerns, when {@code segment} is a flag's "on" segment. */
  static Optional<String> flagOf(String segment) {
    return segment != null && segment.endsWith(":on") && segment.length() > 3
        ? Optional.of(segment.substring(0, segment.length() - 3)) : Optional.empty();
  }

  /** Whether a report of {@code rule} should roll {@code flag} back now. */
  static boolean shouldRollBack(Flag flag, String rule) {
    if (!flag.guards().contains(rule)) return false;
    if (flag.previousStep().isEmpty()) return false;
    return flag.lastChange().map(c -> !c.who().startsWith(WHO_PREFIX)).orElse(true);
  }

  static Behavior<Command> behavior(FlagStore flags, ActorRef<AlertNotifier.Command> notifier) {
    return Behaviors.setup(ctx -> {
      Set<String> writing = new HashSet<>();
      return Behaviors.receive(Command.class)
          .onMessage(SegmentFiring.class, f -> {
            Optional<String> name = flagOf(f.segment());
            if (name.isEmpty() || writing.contains(name.get())) return Behaviors.same();
            Optional<Flag> flag = flags.get(name.get());
            if (flag.isEmpty() || !shouldRollBack(flag.get(), f.rule())) return Behaviors.same();
            int to = flag.get().previousStep().orElseThrow();
            writing.add(name.get());
            log.warn("flag {}: guarding rule {} fires for its segment ({}): rolling back from {} to {}", name.get(),
                f.rule(), f.summary(), flag.get().step(), Flag.percentText(to));
            Flag before = flag.get();
            ctx.pipeToSelf(flags.change(name.get(), Flag.Update.percent(to), WHO_PREFIX + f.rule()),
                (after, e) -> new Written(f, before, after, e));
            return Behaviors.same();
          })
          .onMessage(Written.class, w -> {
            writing.remove(w.before().name());
            SegmentFiring f = w.cause();
            if (w.failure() != null) {
              log.error("flag {}: the automatic rollback was not written ({}); the next report tries again",
                  w.before().name(), w.failure().toString());
              return Behaviors.same();
            }
            long now = System.currentTimeMillis();
            String summary = "flag " + w.before().name() + " rolled back from " + w.before().step() + " to "
                + w.after().step() + " by " + WHO_PREFIX + f.rule() + ": " + f.summary();
            notifier.tell(new AlertNotifier.Announce(new AlertNotifier.Notification("rollback", f.rule(), f.severity(),
                f.value(), f.threshold(), f.node(), List.of(f.node()), summary, now, now)));
            return Behaviors.same();
          })
          .build();
    });
  }
}
