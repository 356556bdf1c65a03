package io.insync.loadtest;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * {@code users} devices connect ({@code rate} new connections per second), authenticate and stay idle for
 * {@code duration} (rounded up to whole heartbeat intervals, at least one), sending a protocol Heartbeat every
 * {@code heartbeat} (default: what AuthOk says). Checks:
 * AuthOk names the user and reports an empty inbox; every Heartbeat is answered (matched by request id) with
 * latest_seq 0, since nobody writes to these users.
 */
public class ConnectIdle extends Simulation {
  public ConnectIdle() {
    Steps steps = new Steps(LoadParams.fromSystemProperties());
    LoadParams p = steps.params();
    ScenarioBuilder idle = scenario("ConnectIdle")
        .exec(steps.users("idle", "u"))
        .exec(steps.connect("u", "lt", session -> 0))
        // exitASAP off: a heartbeat interval that has begun ends with its checked heartbeat, so every
        // connection heartbeats at least once, even when the duration is shorter than the interval
        .during(p.duration(), false).on(
            pause(session -> session.<Duration>get("u.hb")),
            steps.heartbeat("u", session -> 0))
        .exec(steps.close("u"));
    setUp(idle.injectOpen(arrivals(p))).protocols(steps.protocol()).assertions(Steps.assertions());
  }

  /** {@code users} arrivals spread over users/rate seconds (all at once if that is under a second). */
  static OpenInjectionStep arrivals(LoadParams p) {
    Duration ramp = p.rampTime();
    return ramp.toMillis() < 1000 ? atOnceUsers(p.users()) : rampUsers(p.users()).during(ramp);
  }
}
