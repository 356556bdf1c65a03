package io.insync.core.codec;

import io.insync.protocol.Ack;
import io.insync.protocol.Auth;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Heartbeat;
import io.insync.protocol.Redirect;
import io.insync.protocol.Send;
import io.insync.protocol.Sync;

/**
 * Small factories for the envelopes both sides build often. Request ids are chosen by the
 * caller: non-zero for client requests, echoed in replies, 0 for server pushes.
 */
public final class Envelopes {
  private Envelopes() {}

  /** An {@code Error} reply; {@code reason} may be null. */
  public static Envelope error(
      long requestId, ErrorCode code, String reason, int retryAfterMs, boolean fatal) {
    Error.Builder error = Error.newBuilder()
        .setCode(code)
        .setRetryAfterMs(Math.max(0, retryAfterMs))
        .setFatal(fatal);
    if (reason != null) {
      error.setReason(reason);
    }
    return Envelope.newBuilder().setRequestId(requestId).setError(error).build();
  }

  /**
   * The answer to an envelope whose command this build does not know (or that is not a
   * request): {@code Error{UNSUPPORTED}} with the same request id; not fatal.
   */
  public static Envelope unsupported(Envelope in) {
    String what = in.getCommandCase() == Envelope.CommandCase.COMMAND_NOT_SET
        ? "unknown command"
        : "command " + in.getCommandCase().name().toLowerCase(java.util.Locale.ROOT)
            + " is not accepted here";
    return error(in.getRequestId(), ErrorCode.UNSUPPORTED, what, 0, false);
  }

  /** A fatal {@code Error} describing a decode failure (request id 0: the frame was not read). */
  public static Envelope fromProtocolException(ProtocolException e) {
    return error(0, e.code(), e.getMessage(), 0, true);
  }

  /** {@code Auth{token, client_version}}. */
  public static Envelope auth(long requestId, String token, String clientVersion) {
    return auth(requestId, token, clientVersion, "");
  }

  /** {@code Auth{token, client_version, platform}}. */
  public static Envelope auth(long requestId, String token, String clientVersion, String platform) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setAuth(Auth.newBuilder().setToken(token).setClientVersion(nullToEmpty(clientVersion))
            .setPlatform(nullToEmpty(platform)))
        .build();
  }

  /** {@code Send{client_msg_id, to, content}}. */
  public static Envelope send(long requestId, String clientMsgId, String to, Content content) {
    return send(requestId, clientMsgId, to, content, 0);
  }

  /** {@code Send} of a retry: {@code attempt} = how many times this client_msg_id was sent before. */
  public static Envelope send(long requestId, String clientMsgId, String to, Content content, int attempt) {
    return send(requestId, clientMsgId, to, content, attempt, "");
  }

  /**
   * {@code Send} stored only after {@code afterClientMsgId} (the device's previous send; empty: no
   * order asked), else answered {@code Error{OUT_OF_ORDER}}.
   */
  public static Envelope send(long requestId, String clientMsgId, String to, Content content, int attempt,
      String afterClientMsgId) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setSend(Send.newBuilder().setClientMsgId(clientMsgId).setTo(to).setContent(content).setAttempt(attempt)
            .setAfterClientMsgId(afterClientMsgId))
        .build();
  }

  /** A {@code Send} to a group (see {@link #send(long, String, String, Content, int, String)}). */
  public static Envelope sendToGroup(long requestId, String clientMsgId, String group, Content content, int attempt) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setSend(Send.newBuilder().setClientMsgId(clientMsgId).setGroup(group).setContent(content).setAttempt(attempt))
        .build();
  }

  /** {@code Sync{sync_key, max_items}}; {@code maxItems} 0 means the server's default. */
  public static Envelope sync(long requestId, long syncKey, int maxItems) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setSync(Sync.newBuilder().setSyncKey(syncKey).setMaxItems(Math.max(0, maxItems)))
        .build();
  }

  /** {@code Ack{sync_key}} (no reply is expected). */
  public static Envelope ack(long requestId, long syncKey) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setAck(Ack.newBuilder().setSyncKey(syncKey))
        .build();
  }

  /** {@code Heartbeat{latest_seq}}: 0 from a client, the inbox's latest seq from a server. */
  public static Envelope heartbeat(long requestId, long latestSeq) {
    return Envelope.newBuilder()
        .setRequestId(requestId)
        .setHeartbeat(Heartbeat.newBuilder().setLatestSeq(latestSeq))
        .build();
  }

  /**
   * The push {@code Redirect{tcp, websocket, reason, grace_ms}} (request id 0): this gateway is
   * stopping; {@code tcp} are other gateways as {@code host:port}, {@code webSockets} their
   * WebSocket URLs.
   */
  public static Envelope redirect(java.util.List<String> tcp, java.util.List<String> webSockets, String reason,
      int graceMs) {
    return Envelope.newBuilder()
        .setRedirect(Redirect.newBuilder().addAllTcp(tcp).addAllWebsocket(webSockets)
            .setReason(nullToEmpty(reason)).setGraceMs(Math.max(0, graceMs)))
        .build();
  }

  /** A text {@link Content}. */
  public static Content text(String text) {
    return Content.newBuilder().setText(text).build();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
