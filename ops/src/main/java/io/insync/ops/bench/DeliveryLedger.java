package io.insync.ops.bench;

import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What happened to each benchmark message, indexed by its number: its recipient, whether it
 * was acked, how many times (and to whom) it was delivered. Thread-safe; the event loop
 * threads record into it concurrently. At the end {@link #check()} tells whether every acked
 * message reached its recipient exactly once. Only 1:1 messages count ({@link #isDelivery}).
 */
public final class DeliveryLedger {
  private static final long NOT_YET = Long.MIN_VALUE;

  private final int capacity;
  private final AtomicIntegerArray recipient;   // -1 until sent
  private final AtomicIntegerArray acked;       // 0 / 1
  private final AtomicIntegerArray failed;      // 0 / 1: the send future failed
  private final AtomicIntegerArray deliveries;  // to the right recipient
  private final AtomicIntegerArray misrouted;   // to any other user
  private final AtomicLongArray firstDelivery;  // nanoTime of the first delivery

  public DeliveryLedger(int capacity) {
    if (capacity < 0) throw new IllegalArgumentException("capacity < 0");
    this.capacity = capacity;
    this.recipient = new AtomicIntegerArray(capacity);
    this.acked = new AtomicIntegerArray(capacity);
    this.failed = new AtomicIntegerArray(capacity);
    this.deliveries = new AtomicIntegerArray(capacity);
    this.misrouted = new AtomicIntegerArray(capacity);
    this.firstDelivery = new AtomicLongArray(capacity);
    for (int i = 0; i < capacity; i++) {
      recipient.set(i, -1);
      firstDelivery.set(i, NOT_YET);
    }
  }

  /**
   * Whether an inbox item is a 1:1 message, the only kind this ledger counts: not a group's item, and
   * of kind {@code MESSAGE} (delivery and read receipts, group events and kinds newer than this
   * build are neither deliveries nor duplicates).
   */
  public static boolean isDelivery(Item item) {
    return item.getKind() == ItemKind.MESSAGE && item.getGroup().isEmpty();
  }

  public int capacity() {
    return capacity;
  }

  /** Message {@code n} was handed to the client, addressed to user {@code to}. */
  public void sent(int n, int to) {
    recipient.set(n, to);
  }

  /** The send of {@code n} was acked. Returns true the first time. */
  public boolean acked(int n) {
    return acked.compareAndSet(n, 0, 1);
  }

  /** The send of {@code n} failed (error or timeout). */
  public void failed(int n) {
    failed.set(n, 1);
  }

  /**
   * User {@code user} received message {@code n} at {@code nowNanos}. Returns true if this is
   * the first delivery to the right recipient (the one whose latency counts).
   */
  public boolean delivered(int n, int user, long nowNanos) {
    if (n < 0 || n >= capacity) return false;
    int to = recipient.get(n);
    if (to != user) {
      // either delivered to someone else, or the item came back before sent() was recorded
      // (impossible: sent() happens before send()); count as misrouted
      misrouted.incrementAndGet(n);
      return false;
    }
    int c = deliveries.incrementAndGet(n);
    if (c == 1) {
      firstDelivery.set(n, nowNanos);
      return true;
    }
    return false;
  }

  public boolean isAcked(int n) {
    return acked.get(n) == 1;
  }

  public int deliveries(int n) {
    return deliveries.get(n);
  }

  /** The exactly-once verdict over the first {@code sentCount} messages. */
  public Check check(int sentCount) {
    long ackedCount = 0, failedCount = 0, pending = 0, missing = 0, duplicates = 0, dupMessages = 0,
        misroutedCount = 0, deliveredUnacked = 0, deliveredOnce = 0;
    for (int n = 0; n < sentCount; n++) {
      boolean a = acked.get(n) == 1;
      int d = deliveries.get(n);
      misroutedCount += misrouted.get(n);
      if (a) {
        ackedCount++;
        if (d == 0) missing++;
      } else if (failed.get(n) == 1) {
        failedCount++;
        if (d > 0) deliveredUnacked++;
      } else {
        pending++;
        if (d > 0) deliveredUnacked++;
      }
      if (d == 1) deliveredOnce++;
      if (d > 1) {
        dupMessages++;
        duplicates += d - 1;
      }
    }
    return new Check(sentCount, ackedCount, failedCount, pending, deliveredOnce, missing, dupMessages, duplicates,
        misroutedCount, deliveredUnacked);
  }

  /**
   * The verdict. {@code missing}: acked but never delivered; {@code duplicateDeliveries}:
   * deliveries beyond the first (over {@code duplicateMessages} messages); {@code misrouted}:
   * deliveries to a user other than the recipient; {@code deliveredUnacked}: delivered although
   * the send failed or was still unacked at the end (allowed: an ack can be lost).
   */
  public record Check(long sent, long acked, long failed, long unackedAtEnd, long deliveredOnce, long missing,
      long duplicateMessages, long duplicateDeliveries, long misrouted, long deliveredUnacked) {
    public boolean exactlyOnce() {
      return missing == 0 && duplicateDeliveries == 0 && misrouted == 0;
    }
  }
}
