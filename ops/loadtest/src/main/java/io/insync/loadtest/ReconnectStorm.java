package io.insync.loadtest;

import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Reconnect storm: {@code users} clients R (each with its own sender S, on a second WebSocket) connect at
 * {@code rate} per second and authenticate; S sends {@code messages} messages; R syncs them (exactly those)
 * and acks its key. Then, at one instant for all (the ramp plus {@code settle} after the start), every R
 * drops its connection; while they are away S sends {@code messages} more (acked); {@code duration} later
 * all R come back at once, authenticate (AuthOk must report 2×{@code messages} items) and sync from the key
 * each kept: each must get exactly the messages it missed, {@code messages}+1 .. 2×{@code messages}, in order,
 * with seq continuing from its key (no gap, no repeat).
 */
public class ReconnectStorm extends Simulation {
  public ReconnectStorm() {
    Steps steps = new Steps(LoadParams.fromSystemProperties());
    LoadParams p = steps.params();
    long k = p.messages();
    Duration settle = LoadParams.duration(LoadParams.prop("settle", "5s"));
    long dropAt = System.currentTimeMillis() + p.rampTime().toMillis() + settle.toMillis();
    long backAt = dropAt + p.duration().toMillis();
    ScenarioBuilder storm = scenario("ReconnectStorm")
        .exec(steps.users("storm", "s", "r"))
        .exec(steps.connect("s", "lt", session -> 0), steps.connect("r", "lt", session -> 0), Steps.freshDevice("r"))
        .repeat(p.messages()).on(Steps.nextMessage(), steps.send("s", "r", id -> id))
        .exec(steps.syncAll("r", "s", session -> k))
        .exec(Steps.pauseUntil(dropAt), steps.close("r"))
        .repeat(p.messages()).on(Steps.nextMessage(), steps.send("s", "r", id -> id))
        .exec(Steps.pauseUntil(backAt))
        .exec(steps.connect("r", "lt", session -> 2 * k))
        .exec(steps.syncAll("r", "s", session -> 2 * k))
        .exec(steps.close("r"), steps.close("s"));
    setUp(storm.injectOpen(ConnectIdle.arrivals(p))).protocols(steps.protocol()).assertions(Steps.assertions());
  }
}
