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
    long senderSeq) {

  /** The inbox item an event created in {@code userId}'s inbox, or null (the one place that builds it). */
  public static InboxItem of(String userId, Object event) {
    if (event instanceof UserEntity.MessageSent e) {
      return new InboxItem(e.seq(), userId, e.to(), e.device(), e.clientMsgId(), e.serverTs(), e.content(), 0);
    }
    if (event instanceof UserEntity.MessageReceived e) {
      return new InboxItem(e.seq(), e.from(), userId, e.fromDevice(), e.clientMsgId(), e.serverTs(),
          e.content(), e.senderSeq());
    }
    return null;
  }

  /** Bytes an item costs beyond its strings and content, on the wire and in memory (a fair bound). */
  public static final int FIXED_OVERHEAD_BYTES = 48;

  /**
   * What this item weighs when a message carrying it crosses nodes or a page is cut: content plus
   * metadata (ids as UTF-8, fixed fields). Used for every byte bound, so that metadata-heavy items
   * (long ids, tiny bodies) cannot slip past a bound that counted content only.
   */
  public int estimatedBytes() {
    return content.sizeBytes() + MessageContent.utf8Length(from) + MessageContent.utf8Length(to)
        + MessageContent.utf8Length(fromDevice) + MessageContent.utf8Length(clientMsgId) + FIXED_OVERHEAD_BYTES;
  }
}
