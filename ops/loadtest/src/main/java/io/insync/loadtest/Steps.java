package io.insync.loadtest;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.bodyBytes;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;

/**
 * The SYNC protocol as Gatling steps over WebSocket: one binary message = one Envelope, both ways.
 *
 * <p>Every request gets the session's next request id ({@code rid}); its check waits for the message with
 * that id (pushes, id 0, and other replies are ignored) and compares a verdict of {@link Replies} to
 * {@code "ok"}, so a wrong reply is a failed request. The reply is kept in the session as {@code reply}. A
 * virtual user stops at its first failed request. Several connections of one virtual user are told apart by
 * their Gatling {@code wsName}, called the role here ({@code a}, {@code b}, ...); a role's user id is
 * {@code <role>.user} in the session, its sync state {@code <role>.key} (its sync key) and
 * {@code <role>.next} (the number of the next message it expects). (Gatling keeps each WebSocket in the
 * session under its wsName: no other session key may be a bare role name.)
 */
public final class Steps {
  private final LoadParams params;
  private final TokenSigner signer;

  public Steps(LoadParams params) {
    this.params = params;
    this.signer = TokenSigner.fromSecret(params.secret());
  }

  public LoadParams params() {
    return params;
  }

  /** The protocol: the node's WebSocket base URL, no warm-up request. */
  public HttpProtocolBuilder protocol() {
    return http.wsBaseUrl("ws://" + (params.host().contains(":") ? "[" + params.host() + "]" : params.host())
        + ":" + params.port()).disableWarmUp();
  }

  /** Every scenario fails on any failed request (a wrong reply, an error, a timeout) and if it sent none. */
  public static List<Assertion> assertions() {
    return List.of(global().failedRequests().count().is(0L), global().allRequests().count().gt(0L));
  }

  /** A token for (user, device), valid for a day. */
  public String token(String user, String device) {
    return signer.sign(user, device, Instant.now().plus(Duration.ofDays(1)));
  }

  /**
   * A request on the connection {@code role}: builds the envelope with the next request id, waits for the
   * reply with that id, checks {@code verdict} and saves the reply as {@code reply}.
   */
  public ChainBuilder request(String name, String role, BiFunction<Session, Long, Envelope> build,
      BiFunction<Envelope, Session, String> verdict) {
    return exec(session -> session.set("rid", session.contains("rid") ? session.getLong("rid") + 1 : 1L))
        .exec(ws(name).wsName(role)
            .sendBytes(session -> build.apply(session, session.getLong("rid")).toByteArray())
            .await(params.timeout()).on(
                ws.checkBinaryMessage(name + " reply")
                    .matching(bodyBytes().transform(Replies::requestId).is(session -> session.getLong("rid")))
                    .check(
                        bodyBytes().transformWithSession((bytes, session) -> verdict.apply(Replies.parse(bytes), session))
                            .is(Replies.OK).name(name + " reply").logActualValueInError(true),
                        bodyBytes().transform(Replies::parse).saveAs("reply"))))
        .exitHereIfFailed();
  }

  /**
   * Opens the connection {@code role} and authenticates it as the user {@code <role>.user} with
   * {@code device}; AuthOk must name that user and report {@code latestSeq} items in its inbox (negative:
   * any). Saves the heartbeat interval to use as {@code <role>.hb}.
   */
  public ChainBuilder connect(String role, String device, ToLongFunction<Session> latestSeq) {
    return exec(ws("connect").wsName(role).connect("/sync"))
        .exitHereIfFailed()
        .exec(request("auth", role,
            (session, rid) -> Envelopes.auth(rid, token(session.getString(role + ".user"), device), "insync-loadtest"),
            (reply, session) -> Replies.authOk(reply, session.getString(role + ".user"), latestSeq.applyAsLong(session))))
        .exec(session -> {
          Duration hb = params.heartbeat().isZero()
              ? Duration.ofSeconds(Math.max(1, ((Envelope) session.get("reply")).getAuthOk().getHeartbeatSeconds()))
              : params.heartbeat();
          return session.set(role + ".hb", hb);
        });
  }

  /** Closes the connection {@code role} (a clean WebSocket close). */
  public ChainBuilder close(String role) {
    return exec(ws("close").wsName(role).close());
  }

  /**
   * {@code Send} from {@code role} to the user of {@code toRole}, as message {@code n} (session key
   * {@code n}) of that role's user; the SendAck must carry {@code expectedAckId} of the client_msg_id.
   */
  public ChainBuilder send(String role, String toRole, UnaryOperator<String> expectedAckId) {
    Function<Session, String> id = session -> Replies.clientMsgId(session.getString(role + ".user"), session.getLong("n"));
    return request("send", role,
        (session, rid) -> Envelopes.send(rid, id.apply(session), session.getString(toRole + ".user"),
            Envelopes.text(Replies.textFor(id.apply(session)))),
        (reply, session) -> Replies.sendAck(reply, expectedAckId.apply(id.apply(session))));
  }

  /** Gives each role a user id of its own, fresh for this run and virtual user. */
  public ChainBuilder users(String scenario, String... roles) {
    return exec(session -> {
      for (String role : roles) session = session.set(role + ".user", params.userId(scenario, session.userId(), role));
      return session;
    });
  }

  /** Increments the session's message counter {@code n}. */
  public static ChainBuilder nextMessage() {
    return exec(session -> session.set("n", session.contains("n") ? session.getLong("n") + 1 : 1L));
  }

  /** Sets {@code role}'s sync state to "nothing yet": key 0, next message 1. */
  public static ChainBuilder freshDevice(String role) {
    return exec(session -> session.set(role + ".key", 0L).set(role + ".next", 1L));
  }

  /**
   * Syncs {@code role} from its key, page after page while has_more, checking that what comes after the key
   * is exactly the messages {@code <role>.next .. lastN} of the user of {@code senderRole}; then
   * acks the new key (no reply expected).
   */
  public ChainBuilder syncAll(String role, String senderRole, ToLongFunction<Session> lastN) {
    String key = role + ".key";
    String next = role + ".next";
    String more = role + ".more";
    return exec(session -> session.set(more, true))
        .exec(asLongAs(session -> session.getBoolean(more)).on(
            request("sync", role,
                (session, rid) -> Envelopes.sync(rid, session.getLong(key), params.page()),
                (reply, session) -> Replies.page(reply, session.getLong(key), session.getString(senderRole + ".user"),
                    session.getLong(next), lastN.applyAsLong(session))),
            exec(session -> {
              SyncResult result = ((Envelope) session.get("reply")).getSyncResult();
              return session.set(key, result.getSyncKey())
                  .set(next, session.getLong(next) + result.getItemsCount())
                  .set(more, result.getHasMore());
            })))
        .exec(ack(role));
  }

  /** {@code Ack{<role>.key}}: the device stored everything up to its key. */
  public ChainBuilder ack(String role) {
    return exec(session -> session.set("rid", session.getLong("rid") + 1))
        .exec(ws("ack").wsName(role)
            .sendBytes(session -> Envelopes.ack(session.getLong("rid"), session.getLong(role + ".key")).toByteArray()));
  }

  /** A heartbeat on {@code role} whose answer must report {@code latestSeq} (negative: any). */
  public ChainBuilder heartbeat(String role, ToLongFunction<Session> latestSeq) {
    return request("heartbeat", role, (session, rid) -> Envelopes.heartbeat(rid, 0),
        (reply, session) -> Replies.heartbeat(reply, latestSeq.applyAsLong(session)));
  }

  /** Waits until the wall-clock instant {@code epochMillis} (not at all if it is past). */
  public static ChainBuilder pauseUntil(long epochMillis) {
    return pause(session -> Duration.ofMillis(Math.max(0, epochMillis - System.currentTimeMillis())));
  }
}
