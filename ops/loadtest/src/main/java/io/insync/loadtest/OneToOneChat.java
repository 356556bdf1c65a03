package io.insync.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

/**
 * 1:1 chat at an open-model arrival rate: {@code rate} conversations start per second for {@code duration},
 * however the node keeps up. Each conversation connects two fresh users, A and B (two WebSockets); A sends
 * {@code messages} messages to B, {@code think} apart. Checks: each SendAck carries the client_msg_id of the
 * Send it answers; after each ack, B's Sync from its key returns exactly that message (next seq, from A, the
 * client_msg_id and the text that were sent, has_more false); B acks its key.
 */
public class OneToOneChat extends Simulation {
  public OneToOneChat() {
    Steps steps = new Steps(LoadParams.fromSystemProperties());
    LoadParams p = steps.params();
    ScenarioBuilder chat = scenario("OneToOneChat")
        .exec(steps.users("chat", "a", "b"))
        .exec(steps.connect("a", "lt", session -> 0), steps.connect("b", "lt", session -> 0), Steps.freshDevice("b"))
        .repeat(p.messages()).on(
            Steps.nextMessage(),
            steps.send("a", "b", this::expectedAckId),
            steps.syncAll("b", "a", session -> session.getLong("n")),
            pause(p.think()))
        .exec(steps.close("a"), steps.close("b"));
    setUp(chat.injectOpen(constantUsersPerSec(p.rate()).during(p.duration())))
        .protocols(steps.protocol()).assertions(Steps.assertions());
  }

  /** The client_msg_id a SendAck must carry for a Send with {@code sent} (a test overrides it to prove the check bites). */
  protected String expectedAckId(String sent) {
    return sent;
  }
}
