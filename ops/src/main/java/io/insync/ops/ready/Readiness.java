package io.insync.ops.ready;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the conditions a node needs before it lets clients in, one after the other, within one
 * deadline for all. Each condition is a probe (an ask, usually) tried again after a pause until it
 * answers {@code true}; a probe that fails or does not answer within {@code probeTimeout} counts as
 * "not yet". Plain code: the probes are the only thing that touches actors.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  /** A condition: completes with true when it holds. */
  @FunctionalInterface
  public interface Probe {
    CompletionStage<Boolean> check();
  }

  /** What waiting needs from the outside world (real time in the node, a fake clock in tests). */
  public interface Clock {
    long nanoTime();

    void sleep(Duration d) throws InterruptedException;

    Clock SYSTEM = new Clock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
      }
    };
  }

  private final Clock clock;
  private final long deadline;
  private final Duration total;
  private final Duration probeTimeout;
  private final Duration pause;
  private final Supplier<String> stopped;

  /**
   * @param total        the time all conditions together may take
   * @param probeTimeout how long one try of a probe may take
   * @param pause        the pause between tries
   */
  public Readiness(Clock clock, Duration total, Duration probeTimeout, Duration pause) {
    this(clock, total, probeTimeout, pause, () -> null);
  }

  /**
   * @param stopped asked before every try: a reason when waiting can never succeed any more (the node
   *                was removed from the cluster, its actor system stopped), null while it still can.
   *                Waiting then fails at once instead of running into the deadline.
   */
  public Readiness(Clock clock, Duration total, Duration probeTimeout, Duration pause, Supplier<String> stopped) {
    this.clock = clock;
    this.total = total;
    this.deadline = clock.nanoTime() + total.toNanos();
    this.probeTimeout = probeTimeout;
    this.pause = pause;
    this.stopped = stopped;
  }

  /**
   * Blocks until {@code probe} holds; returns how long that took.
   *
   * @throws IllegalStateException when the deadline passes first (the message names the condition
   *                               and the last reason it did not hold), or at once when the
   *                               {@code stopped} check gives a reason
   */
  public Duration await(String condition, Probe probe) throws InterruptedException {
    long t0 = clock.nanoTime();
    String lastReason = "never answered";
    for (int attempt = 1; ; attempt++) {
      String why = stopped.get();
      if (why != null) {
        throw new IllegalStateException("will never be ready: " + why + " (while waiting: " + condition + ")");
      }
      long left = deadline - clock.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("not ready within " + total.toSeconds() + " s: " + condition
            + " (tried " + (attempt - 1) + " times; last: " + lastReason + ")");
      }
      try {
        long wait = Math.min(left, probeTimeout.toNanos());
        if (Boolean.TRUE.equals(probe.check().toCompletableFuture().get(wait, TimeUnit.NANOSECONDS))) {
          return Duration.ofNanos(clock.nanoTime() - t0);
        }
        lastReason = "not yet";
      } catch (java.util.concurrent.TimeoutException e) {
        lastReason = "no answer within " + probeTimeout.toMillis() + " ms";
      } catch (java.util.concurrent.ExecutionException e) {
        lastReason = String.valueOf(e.getCause());
      }
      if (attempt % 10 == 0) log.info("still waiting ({} tries): {}; last: {}", attempt, condition, lastReason);
      else log.debug("waiting: {}; last: {}", condition, lastReason);
      clock.sleep(pause);
    }
  }

  /** A probe from a plain condition (no asking). */
  public static Probe holds(Supplier<Boolean> condition) {
    return () -> java.util.concurrent.CompletableFuture.completedFuture(condition.get());
  }
}
