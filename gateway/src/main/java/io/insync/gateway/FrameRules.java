package io.insync.gateway;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.Locale;
import java.util.Optional;

/**
 * What every client frame must satisfy before any phase of the session looks at it, and the
 * answer when it does not. None of these closes the connection: the frame was read fine, it only
 * cannot be served, and the client can go on with its next one.
 *
 * <ol>
 *   <li>An envelope without any command (an empty body, or only a request id) gets
 *       {@code BAD_REQUEST "no command"}.
 *   <li>A command this server does not know (a field it cannot parse as a command, from a newer
 *       client) gets {@code UNSUPPORTED}.
 *   <li>A command only servers send ({@code AuthOk, SendAck, SyncResult, Notify, Error, GroupInfo,
 *       Redirect, DeviceList, Done, GroupReceipts}) gets
 *       {@code BAD_REQUEST "... is sent by servers only"}.
 *   <li>A request with {@code request_id} 0 gets {@code BAD_REQUEST}: 0 marks server pushes, so
 *       an answer to it could not be told from one. The command is not executed (an Ack with id 0
 *       is not applied either).
 * </ol>
 * Every such Error carries the frame's own request id.
 */
final class FrameRules {
  private FrameRules() {}

  /** The Error that answers {@code env} instead of executing it, or empty if it may be executed. */
  static Optional<Envelope> refusal(Envelope env) {
    long id = env.getRequestId();
    return switch (env.getCommandCase()) {
      case COMMAND_NOT_SET -> Optional.of(env.getUnknownFields().asMap().isEmpty()
          ? Envelopes.error(id, ErrorCode.BAD_REQUEST, "envelope has no command", 0, false)
          : Envelopes.unsupported(env));
      case AUTH_OK, SEND_ACK, SYNC_RESULT, NOTIFY, ERROR, REDIRECT, GROUP_INFO, DEVICE_LIST, DONE, GROUP_RECEIPTS ->
          Optional.of(Envelopes.error(id, ErrorCode.BAD_REQUEST,
          name(env) + " is sent by servers only", 0, false));
      case AUTH, SEND, SYNC, ACK, HEARTBEAT, GROUP_CREATE, GROUP_CHANGE, GROUP_GET, MARK_READ, LIST_DEVICES,
          REMOVE_DEVICE, SET_PREFS, GROUP_RECEIPTS_GET -> id == 0
          ? Optional.of(Envelopes.error(0, ErrorCode.BAD_REQUEST,
              "request_id 0 is reserved for server pushes; give " + name(env) + " a non-zero request_id", 0, false))
          : Optional.empty();
    };
  }

  private static String name(Envelope env) {
    return env.getCommandCase().name().toLowerCase(Locale.ROOT);
  }
}
