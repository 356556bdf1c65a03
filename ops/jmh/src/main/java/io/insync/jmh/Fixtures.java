package io.insync.jmh;

import com.google.protobuf.ByteString;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.Item;
import io.insync.protocol.Send;
import io.insync.protocol.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typical objects of the hot path: what a 1:1 message of 100 bytes of text looks like at each layer. */
public final class Fixtures {
  /** Like the bench's texts: 100 characters, starting with a message id. */
  public static final String TEXT = ("b1k2x3-123456 " + "lorem ipsum dolor sit amet ".repeat(4)).substring(0, 100);
  static final long TS = 1_764_658_800_000L;

  private Fixtures() {}

  public static boolean check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("round trip broken: " + what);
    return true;
  }

  // ---- client protocol (core)

  public static Envelope send() {
    return Envelope.newBuilder().setRequestId(42)
        .setSend(Send.newBuilder().setClientMsgId("bk3x9-123456").setTo("bench1k2x3u731")
            .setContent(Content.newBuilder().setText(TEXT)))
        .build();
  }

  public static Envelope syncResult(int items) {
    SyncResult.Builder r = SyncResult.newBuilder().setSyncKey(1000 + items).setHasMore(true);
    for (int i = 0; i < items; i++) {
      r.addItems(Item.newBuilder().setSeq(1001 + i).setFrom("bench1k2x3u" + (i * 37 % 1000)).setTo("bench1k2x3u731")
          .setFromDevice("d0").setClientMsgId("bk3x9-" + (123456 + i)).setServerTs(TS + i)
          .setContent(Content.newBuilder().setText(TEXT).setData(ByteString.EMPTY)));
    }
    return Envelope.newBuilder().setRequestId(43).setSyncResult(r).build();
  }

  // ---- between entities (cluster, Kryo)

  public static UserEntity.Delivery delivery(int i) {
    return new UserEntity.Delivery(5000 + i, "d0", "bk3x9-" + (123456 + i), MessageContent.text(TEXT), TS + i);
  }

  public static List<UserEntity.Delivery> deliveries(int n) {
    List<UserEntity.Delivery> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(delivery(i));
    return out;
  }

  public static UserEntity.SendAccepted sendAccepted() {
    return new UserEntity.SendAccepted("bk3x9-123456", 5000, TS);
  }

  // ---- stored events (persistence)

  public static UserEntity.MessageSent messageSent() {
    return new UserEntity.MessageSent(5000, "bench1k2x3u731", "d0", "bk3x9-123456", MessageContent.text(TEXT), TS,
        new UserEntity.Bookkeeping(List.of(new UserEntity.DeliveryRef("bench1k2x3u12", 4990)), Map.of("d0", 4998L)));
  }

  public static UserEntity.MessageReceived messageReceived() {
    return new UserEntity.MessageReceived(5001, "bench1k2x3u12", "d0", "bk3x9-654321", 812, MessageContent.text(TEXT),
        TS, UserEntity.Bookkeeping.EMPTY);
  }

  /**
   * A user after {@code messages} events (sent and received alternating, the last few sends not yet
   * delivered, device keys acked): what a snapshot holds.
   */
  public static UserState userState(int messages) {
    String me = "bench1k2x3u731";
    UserState s = UserState.empty(me, UserState.Limits.DEFAULT);
    for (int seq = 1; seq <= messages; seq++) {
      String peer = "bench1k2x3u" + (seq * 37 % 1000);
      UserEntity.Event e;
      if (seq % 2 == 1) {
        List<UserEntity.DeliveryRef> delivered = seq > 2 && seq < messages - 10
            ? List.of(new UserEntity.DeliveryRef("bench1k2x3u" + ((seq - 2) * 37 % 1000), seq - 2)) : List.of();
        e = new UserEntity.MessageSent(seq, peer, "d0", "bk3x9-" + seq, MessageContent.text(TEXT), TS + seq,
            new UserEntity.Bookkeeping(delivered, Map.of("d0", (long) seq - 1)));
      } else {
        e = new UserEntity.MessageReceived(seq, peer, "d1", "bq7-" + seq, seq / 2, MessageContent.text(TEXT), TS + seq,
            UserEntity.Bookkeeping.EMPTY);
      }
      s = s.apply(e, seq);
    }
    return s;
  }
}
