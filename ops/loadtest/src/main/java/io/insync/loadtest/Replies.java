package io.insync.loadtest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;

/**
 * What a reply must be, as plain functions: each returns {@link #OK} or a short description of what is
 * wrong. The scenarios' Gatling checks compare that verdict to {@code "ok"}, so a wrong reply is a failed
 * request in the report, with the description as its error message.
 */
public final class Replies {
  /** The verdict of a reply that is what it should be. */
  public static final String OK = "ok";

  private Replies() {}

  /** One WebSocket message: one serialized Envelope, no length prefix. */
  public static Envelope parse(byte[] message) {
    try {
      return Envelope.parseFrom(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an Envelope: " + e.getMessage(), e);
    }
  }

  /** The request id of a message (-1 if it is not an Envelope), to match a reply to its request. */
  public static long requestId(byte[] message) {
    try {
      return Envelope.parseFrom(message).getRequestId();
    } catch (InvalidProtocolBufferException e) {
      return -1;
    }
  }

  /** The text the scenarios send with a client_msg_id, so a receiver can check the content it syncs. */
  public static String textFor(String clientMsgId) {
    return "load test message " + clientMsgId;
  }

  /** The client_msg_id of message number {@code n} (1, 2, ...) from {@code sender}. */
  public static String clientMsgId(String sender, long n) {
    return sender + "#" + n;
  }

  /** AuthOk for {@code user}, whose inbox must hold exactly {@code latestSeq} items (negative: any). */
  public static String authOk(Envelope reply, String user, long latestSeq) {
    if (!reply.hasAuthOk()) return unexpected("AuthOk", reply);
    AuthOk ok = reply.getAuthOk();
    if (!ok.getUserId().equals(user)) return "AuthOk for user " + ok.getUserId() + ", expected " + user;
    if (latestSeq >= 0 && ok.getLatestSeq() != latestSeq) {
      return "AuthOk latest_seq " + ok.getLatestSeq() + ", expected " + latestSeq;
    }
    return OK;
  }

  /** SendAck carrying the client_msg_id that was sent. */
  public static String sendAck(Envelope reply, String expectedClientMsgId) {
    if (!reply.hasSendAck()) return unexpected("SendAck", reply);
    SendAck ack = reply.getSendAck();
    if (!ack.getClientMsgId().equals(expectedClientMsgId)) {
      return "SendAck client_msg_id " + ack.getClientMsgId() + ", expected " + expectedClientMsgId;
    }
    if (ack.getSeq() <= 0) return "SendAck seq " + ack.getSeq();
    return OK;
  }

  /** Heartbeat answer whose latest_seq is {@code latestSeq} (negative: any). */
  public static String heartbeat(Envelope reply, long latestSeq) {
    if (!reply.hasHeartbeat()) return unexpected("Heartbeat", reply);
    if (latestSeq >= 0 && reply.getHeartbeat().getLatestSeq() != latestSeq) {
      return "Heartbeat latest_seq " + reply.getHeartbeat().getLatestSeq() + ", expected " + latestSeq;
    }
    return OK;
  }

  /**
   * One page of a Sync from {@code key} in an inbox that, after {@code key}, holds exactly the messages
   * {@code nextN..lastN} of {@code sender} (seq key+1, key+2, ...): every item is the next one (seq, from,
   * client_msg_id, content), none lies beyond {@code lastN}, sync_key is the last item's seq, and a page
   * that says there is no more has brought the last one. So over all pages: no gap, no repeat, none missing.
   */
  public static String page(Envelope reply, long key, String sender, long nextN, long lastN) {
    if (!reply.hasSyncResult()) return unexpected("SyncResult", reply);
    SyncResult result = reply.getSyncResult();
    long seq = key;
    long n = nextN;
    for (Item item : result.getItemsList()) {
      seq++;
      if (n > lastN) return "item seq " + item.getSeq() + " (" + item.getClientMsgId() + ") beyond the " + lastN + " expected";
      if (item.getSeq() != seq) return "item seq " + item.getSeq() + ", expected " + seq;
      if (!item.getFrom().equals(sender)) return "item " + seq + " from " + item.getFrom() + ", expected " + sender;
      String id = clientMsgId(sender, n);
      if (!item.getClientMsgId().equals(id)) {
        return "item " + seq + " client_msg_id " + item.getClientMsgId() + ", expected " + id;
      }
      if (!item.getContent().getText().equals(textFor(id))) return "item " + seq + " content differs from what was sent";
      n++;
    }
    if (result.getSyncKey() != seq) return "sync_key " + result.getSyncKey() + ", expected " + seq;
    if (result.getItemsCount() == 0 && result.getHasMore()) return "empty page with has_more true";
    if (!result.getHasMore() && n <= lastN) {
      return "sync ended at message " + (n - 1) + " of " + lastN + " (has_more false)";
    }
    return OK;
  }

  private static String unexpected(String wanted, Envelope reply) {
    if (reply.hasError()) {
      return "Error " + reply.getError().getCode() + " (" + reply.getError().getReason() + "), expected " + wanted;
    }
    return reply.getCommandCase() + ", expected " + wanted;
  }
}
