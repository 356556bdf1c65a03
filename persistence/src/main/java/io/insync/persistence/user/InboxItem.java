package io.insync.persistence.user;

/**
 * One item in a user's inbox.
 *
 * @param seq the item's place in this inbox: gapless, strictly increasing from 1
 * @param from the sending user
 * @param to the receiving user
 * @param fromDevice the sending device
 * @param clientMsgId the id the sending device chose
 * @param serverTs milliseconds since the epoch, set by the sender's entity
 * @param content the body
 * @param senderSeq for received items, the item's seq in the sender's inbox; 0 for sent items
 */
public record InboxItem(
    long seq,
    String from,
    String to,
    String fromDevice,
    String clientMsgId,
    long serverTs,
    MessageContent content,
    long senderSeq) {}
