package io.insync.loadtest;

import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

/**
 * Offline catch-up: for each of {@code users} pairs ({@code rate} new pairs per second), A sends
 * {@code messages} messages to B, who has never connected; every Send must be acked with its client_msg_id.
 * Then A leaves and B connects: AuthOk must report exactly {@code messages} items, and B syncs page after page
 * ({@code page} items each, 0 = the server's default) while has_more, and must get exactly the messages
 * 1..{@code messages} of A, in order (seq 1, 2, ...; client_msg_id and text as sent), ending with has_more false.
 */
public class OfflineCatchUp extends Simulation {
  public OfflineCatchUp() {
    Steps steps = new Steps(LoadParams.fromSystemProperties());
    LoadParams p = steps.params();
    long m = p.messages();
    ScenarioBuilder catchUp = scenario("OfflineCatchUp")
        .exec(steps.users("offline", "a", "b"))
        .exec(steps.connect("a", "lt", session -> 0))
        .repeat(p.messages()).on(Steps.nextMessage(), steps.send("a", "b", id -> id))
        .exec(steps.close("a"))
        .exec(steps.connect("b", "lt", session -> m), Steps.freshDevice("b"))
        .exec(steps.syncAll("b", "a", session -> m))
        .exec(steps.close("b"));
    setUp(catchUp.injectOpen(ConnectIdle.arrivals(p))).protocols(steps.protocol()).assertions(Steps.assertions());
  }
}
