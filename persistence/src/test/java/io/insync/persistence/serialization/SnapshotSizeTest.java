package io.insync.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserSettings;
import io.insync.persistence.user.UserState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A snapshot is one Cassandra mutation, which Cassandra refuses above commitlog_segment_size / 2
 * (16 MiB by default). With the default bounds, the largest state an entity can reach must
 * serialize to a few MiB at most.
 */
class SnapshotSizeTest {
  static final long BOUND = 8L << 20;

  static String id(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  @Test
  void aMaximalStateSnapshotStaysWellUnderCassandrasMutationLimit() {
    UserSettings settings = UserSettings.fromConfig(ConfigFactory.load());
    UserState s = new UserState(id('u', 128), UserState.Limits.of(settings));
    byte[] payload = new byte[settings.maxContentBytes() - 2 * 128];
    MessageContent big = new MessageContent("", payload, id('t', 128));
    long seq = 0;
    long journalSeqNr = 0;
    // pending deliveries up to the bound (the entity refuses sends past it): big items, long ids
    while (s.pendingBytes() + big.sizeBytes() + 700 <= settings.maxPendingBytes()
        && s.pendingCount() < settings.maxPendingTotal()) {
      seq++;
      s.apply(new UserEntity.MessageSent(seq, id('r', 127) + (seq % 10), id('d', 128), id('c', 120) + seq, big, seq,
          UserEntity.Bookkeeping.EMPTY), ++journalSeqNr);
    }
    // the send dedup window full of small sends with the longest ids (each delivered at once)
    for (int i = 0; i < settings.outboundDedupWindow(); i++) {
      seq++;
      s.apply(new UserEntity.MessageSent(seq, s.userId(), id('d', 128), id('k', 120) + i, MessageContent.text("x"),
          seq, UserEntity.Bookkeeping.EMPTY), ++journalSeqNr);
    }
    // every sender's high-water mark, with the longest user ids; the tail ends full of big items
    for (int i = 0; i < settings.inboundSendersMax() + settings.tailSize(); i++) {
      seq++;
      s.apply(new UserEntity.MessageReceived(seq, id('f', 120) + i, id('d', 128), id('c', 120), seq,
          i >= settings.inboundSendersMax() ? big : MessageContent.text("x"), seq, UserEntity.Bookkeeping.EMPTY),
          ++journalSeqNr);
    }
    // many devices with acked keys, and a long journal index (an inbox of a million items)
    Map<String, Long> keys = new java.util.HashMap<>();
    for (int i = 0; i < 1000; i++) keys.put(id('p', 120) + i, 1L);
    s.apply(new UserEntity.BookkeepingFlushed(new UserEntity.Bookkeeping(List.of(), keys)), ++journalSeqNr);
    int bytes = StoreCodec.toSnapshot(s).getSerializedSize();
    System.out.printf("maximal snapshot: %,d bytes (tail %,d B, pending %,d B, %d outbound, %d senders)%n",
        bytes, s.tailBytes(), s.pendingBytes(), s.outbound().size(), s.inboundHighWater().size());
    assertTrue(s.tailBytes() <= settings.tailMaxBytes());
    assertTrue(bytes < BOUND, "snapshot of a maximal state is " + bytes + " bytes, bound " + BOUND);
  }
}
