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
 * @param senderSeq for received items, the item's seq in the sender's inbox (for items from a
 *     group, the entry's seq in the group's log); 0 for sent items
 * @param group set on items from a group's fan-out (and on group receipts), null on 1:1 items
 * @param receipt set on receipt items, null otherwise
 */
public record InboxItem(
    long seq,
    String from,
    String to,
    String fromDevice,
    String clientMsgId,
    long serverTs,
    MessageContent content,
    long senderSeq,
    GroupTag group,
    Receipt receipt) {

  public InboxItem(long seq, String from, String to, String fromDevice, String clientMsgId, long serverTs,
      MessageContent content, long senderSeq, GroupTag group) {
    this(seq, from, to, fromDevice, clientMsgId, serverTs, content, senderSeq, group, null);
  }

  /** A 1:1 item. */
  public InboxItem(long seq, String from, String to, String fromDevice, String clientMsgId, long serverTs,
      MessageContent content, long senderSeq) {
    this(seq, from, to, fromDevice, clientMsgId, serverTs, content, senderSeq, null);
  }

  /** The inbox item an event created in {@code userId}'s inbox, or null (the one place that builds it). */
  public static InboxItem of(String userId, Object event) {
    if (event instanceof UserEntity.MessageSent e) {
      return new InboxItem(e.seq(), userId, e.to(), e.device(), e.clientMsgId(), e.serverTs(), e.content(), 0);
    }
    if (event instanceof UserEntity.MessageReceived e) {
      return new InboxItem(e.seq(), e.from(), userId, e.fromDevice(), e.clientMsgId(), e.serverTs(),
          e.content(), e.senderSeq(), e.group());
    }
    if (event instanceof UserEntity.ReceiptLogged e) {
      return new InboxItem(e.seq(), e.from(), userId, "", "", e.serverTs(), MessageContent.EMPTY, 0, null,
          e.receipt());
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
        + MessageContent.utf8Length(fromDevice) + MessageContent.utf8Length(clientMsgId) + FIXED_OVERHEAD_BYTES
        + (group == null ? 0 : groupBytes(group)) + (receipt == null ? 0 : receipt.estimatedBytes());
  }

  /** The 1:1 peer or group this item belongs to: the peer's id, or {@code "#" + group} (see {@link GroupTag#dedupKey}). */
  public String conversation(String self) {
    if (group != null) return GroupTag.dedupKey(group.group());
    if (receipt != null && receipt.kind() == Receipt.Kind.GROUP) return GroupTag.dedupKey(receipt.group());
    return from.equals(self) ? to : from;
  }

  /** A message from another user (not a membership change, not a receipt, not sent by this user). */
  public boolean isMessageFrom(String self) {
    return receipt == null && (group == null || group.action() == GroupTag.Action.MESSAGE) && !from.equals(self);
  }

  private static int groupBytes(GroupTag g) {
    int b = MessageContent.utf8Length(g.group()) + MessageContent.utf8Length(g.name()) + 8;
    for (String m : g.members()) b += MessageContent.utf8Length(m) + 2;
    return b;
  }
}
