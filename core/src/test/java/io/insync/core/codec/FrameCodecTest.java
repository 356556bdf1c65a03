package io.insync.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.insync.protocol.Ack;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
  private static final HexFormat HEX = HexFormat.of();

  /** request_id 7, Send{client_msg_id "m1", to "bob", content{text "hi"}}. */
  private static final Envelope GOLDEN = Envelopes.send(7, "m1", "bob", Envelopes.text("hi"));
  // 00000013            length 19, big-endian
  // 08 07               field 1 (request_id) varint 7
  // 62 0f               field 12 (send), 15 bytes:
  //   0a 02 6d 31         field 1 (client_msg_id) "m1"
  //   12 03 62 6f 62      field 2 (to) "bob"
  //   1a 04 0a 02 68 69   field 3 (content) { field 1 (text) "hi" }
  private static final String GOLDEN_HEX = "00000013" + "0807" + "620f" + "0a026d31" + "1203626f62" + "1a040a026869";

  static List<Envelope> oneOfEach() {
    Item item = Item.newBuilder().setSeq(3).setFrom("alice").setTo("bob").setFromDevice("phone")
        .setClientMsgId("m9").setServerTs(1_700_000_000_000L)
        .setContent(Content.newBuilder().setType("image").setData(ByteString.copyFrom(new byte[] {0, 1, (byte) 255})))
        .build();
    return List.of(
        Envelopes.auth(1, "v1.token", "test/1"),
        Envelope.newBuilder().setRequestId(1).setAuthOk(AuthOk.newBuilder().setUserId("bob")
            .setDeviceId("phone").setLatestSeq(10).setDeviceKey(4).setHeartbeatSeconds(30)).build(),
        GOLDEN,
        Envelope.newBuilder().setRequestId(2).setSendAck(SendAck.newBuilder().setClientMsgId("m1")
            .setSeq(11).setServerTs(123)).build(),
        Envelopes.sync(3, 4, 100),
        Envelope.newBuilder().setRequestId(3).setSyncResult(SyncResult.newBuilder().addItems(item)
            .setSyncKey(3).setHasMore(true)).build(),
        Envelope.newBuilder().setNotify(Notify.newBuilder().setLatestSeq(3).addItems(item)).build(),
        Envelope.newBuilder().setRequestId(5).setAck(Ack.newBuilder().setSyncKey(3)).build(),
        Envelopes.heartbeat(6, 0),
        Envelopes.error(7, ErrorCode.UNAVAILABLE, "busy", 500, false),
        Envelopes.redirect(List.of("127.0.0.1:7410"), List.of("ws://127.0.0.1:7411/sync"), "leaving", 2000),
        Envelope.newBuilder().setRequestId(8).setGroupCreate(io.insync.protocol.GroupCreate.newBuilder()
            .setGroup("g1").setName("team").addMembers("bob")).build(),
        Envelope.newBuilder().setRequestId(9).setGroupChange(io.insync.protocol.GroupChange.newBuilder()
            .setGroup("g1").setChange(io.insync.protocol.GroupEventType.GROUP_JOINED).addMembers("cy")).build(),
        Envelope.newBuilder().setRequestId(10).setGroupGet(io.insync.protocol.GroupGet.newBuilder().setGroup("g1")).build(),
        Envelope.newBuilder().setRequestId(10).setGroupInfo(io.insync.protocol.GroupInfo.newBuilder()
            .setGroup("g1").setOwner("ann").addMembers("ann").addMembers("bob").setLastSeq(2)).build(),
        Envelope.newBuilder().setRequestId(11).setMarkRead(io.insync.protocol.MarkRead.newBuilder()
            .setPeer("bob").setUpTo(9)).build(),
        Envelope.newBuilder().setRequestId(12).setListDevices(io.insync.protocol.ListDevices.getDefaultInstance())
            .build(),
        Envelope.newBuilder().setRequestId(12).setDeviceList(io.insync.protocol.DeviceList.newBuilder()
            .addDevices(io.insync.protocol.DeviceInfo.newBuilder().setDevice("phone").setPlatform("phone")
                .setSyncKey(4).setOnline(true).setRegisteredAtMs(1_700_000_000_000L))).build(),
        Envelope.newBuilder().setRequestId(13).setRemoveDevice(io.insync.protocol.RemoveDevice.newBuilder()
            .setDevice("tablet")).build(),
        Envelope.newBuilder().setRequestId(14).setSetPrefs(io.insync.protocol.SetPrefs.newBuilder()
            .setReadReceiptsOff(true)).build(),
        Envelope.newBuilder().setRequestId(14).setDone(io.insync.protocol.Done.getDefaultInstance()).build(),
        Envelope.newBuilder().setRequestId(15).setGroupReceiptsGet(io.insync.protocol.GroupReceiptsGet.newBuilder()
            .setGroup("g1").setGroupSeq(2)).build(),
        Envelope.newBuilder().setRequestId(15).setGroupReceipts(io.insync.protocol.GroupReceipts.newBuilder()
            .setGroup("g1").setGroupSeq(2).setRecipients(2).addDelivered("bob").addRead("bob")).build());
  }

  private static EmbeddedChannel channel(int max) {
    EmbeddedChannel ch = new EmbeddedChannel();
    FrameCodec.install(ch.pipeline(), max);
    return ch;
  }

  private static ByteBuf buf(byte[] bytes) {
    return Unpooled.wrappedBuffer(bytes);
  }

  private static List<Envelope> drain(EmbeddedChannel ch) {
    List<Envelope> out = new ArrayList<>();
    for (Object o; (o = ch.readInbound()) != null; ) {
      out.add((Envelope) o);
    }
    return out;
  }

  private static ProtocolException protocolError(Throwable t) {
    return ProtocolException.find(t).orElseThrow(() -> new AssertionError("no ProtocolException in " + t, t));
  }

  @Test
  void everyCommandRoundTripsThroughBytesAndPipeline() {
    List<Envelope> all = oneOfEach();
    assertEquals(Envelope.CommandCase.values().length - 1,
        all.stream().map(Envelope::getCommandCase).distinct().count(), "one of each command");
    for (Envelope e : all) {
      byte[] frame = FrameCodec.encodeToBytes(e);
      assertEquals(e, FrameCodec.parse(Unpooled.wrappedBuffer(frame, 4, frame.length - 4)));

      EmbeddedChannel out = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
      assertTrue(out.writeOutbound(e));
      ByteBuf encoded = out.readOutbound();
      byte[] bytes = new byte[encoded.readableBytes()];
      encoded.readBytes(bytes);
      encoded.release();
      assertArrayEquals(frame, bytes, "pipeline and encodeToBytes agree");

      EmbeddedChannel in = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
      assertTrue(in.writeInbound(buf(frame)));
      assertEquals(List.of(e), drain(in));
      assertFalse(in.finish());
    }
  }

  @Test
  void goldenBytes() {
    assertEquals(GOLDEN_HEX, HEX.formatHex(FrameCodec.encodeToBytes(GOLDEN)));
    ByteBuf viaAllocator = FrameCodec.encode(ByteBufAllocator.DEFAULT, GOLDEN);
    try {
      byte[] bytes = new byte[viaAllocator.readableBytes()];
      viaAllocator.getBytes(0, bytes);
      assertEquals(GOLDEN_HEX, HEX.formatHex(bytes));
    } finally {
      viaAllocator.release();
    }
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(buf(HEX.parseHex(GOLDEN_HEX)));
    assertEquals(List.of(GOLDEN), drain(ch));
  }

  @Test
  void redirectGoldenBytes() {
    // Envelope field 20 (a2 01), length 8: Redirect{tcp "a:1" (0a 03 61 3a 31), grace_ms 2000 (20 d0 0f)}
    Envelope redirect = Envelopes.redirect(List.of("a:1"), List.of(), "", 2000);
    assertEquals("0000000ba201080a03613a3120d00f", HEX.formatHex(FrameCodec.encodeToBytes(redirect)));
    assertEquals(0, redirect.getRequestId(), "a push");
  }

  @Test
  void lengthPrefixIsFourBytesBigEndian() {
    Envelope e = Envelopes.send(1, "m", "bob", Content.newBuilder().setData(ByteString.copyFrom(new byte[300])).build());
    byte[] frame = FrameCodec.encodeToBytes(e);
    int size = e.getSerializedSize();
    assertTrue(size > 255, "needs two length bytes");
    assertEquals(size + 4, frame.length);
    assertEquals(0, frame[0]);
    assertEquals(0, frame[1]);
    assertEquals((byte) (size >>> 8), frame[2]);
    assertEquals((byte) size, frame[3]);
  }

  @Test
  void frameSplitAtEveryBoundaryDecodesTheSame() {
    byte[] frame = FrameCodec.encodeToBytes(oneOfEach().get(5));
    for (int cut = 0; cut <= frame.length; cut++) {
      EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
      ch.writeInbound(Unpooled.wrappedBuffer(frame, 0, cut));
      if (cut < frame.length) {
        assertNull(ch.readInbound(), "nothing before the frame is complete, cut at " + cut);
      }
      ch.writeInbound(Unpooled.wrappedBuffer(frame, cut, frame.length - cut));
      assertEquals(List.of(oneOfEach().get(5)), drain(ch), "cut at " + cut);
    }
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    for (int i = 0; i < frame.length; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(frame, i, 1));
      if (i < frame.length - 1) {
        assertNull(ch.readInbound(), "byte " + i);
      }
    }
    assertEquals(List.of(oneOfEach().get(5)), drain(ch));
    assertFalse(ch.finish());
  }

  @Test
  void severalFramesInOneBuffer() {
    List<Envelope> all = oneOfEach();
    ByteBuf joined = Unpooled.buffer();
    all.forEach(e -> joined.writeBytes(FrameCodec.encodeToBytes(e)));
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(joined);
    assertEquals(all, drain(ch));
  }

  @Test
  void exactlyAtTheDefaultLimitIsAccepted() {
    int limit = FrameCodec.DEFAULT_MAX_FRAME_BYTES;
    assertEquals(1_048_576, limit);
    int dataSize = limit - 32;
    Envelope e = withData(dataSize);
    while (e.getSerializedSize() != limit) {
      dataSize += limit - e.getSerializedSize();
      e = withData(dataSize);
    }
    EmbeddedChannel ch = channel(limit);
    assertTrue(ch.writeOutbound(e));
    ByteBuf encoded = ch.readOutbound();
    assertEquals(limit + 4, encoded.readableBytes());
    ch.writeInbound(encoded);
    assertEquals(List.of(e), drain(ch));

    Envelope tooBig = withData(dataSize + 1);
    assertEquals(limit + 1, tooBig.getSerializedSize());
    ChannelFuture write = ch.writeOneOutbound(tooBig);
    ch.flushOutbound();
    assertFalse(write.isSuccess());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, protocolError(write.cause()).code());
    assertNull(ch.readOutbound(), "nothing written for an oversized envelope");
  }

  private static Envelope withData(int n) {
    return Envelopes.send(1, "m", "bob", Content.newBuilder().setData(ByteString.copyFrom(new byte[n])).build());
  }

  @Test
  void overLimitFailsAsSoonAsTheLengthIsRead() {
    int limit = FrameCodec.encodeToBytes(GOLDEN).length - 4;
    EmbeddedChannel atLimit = channel(limit);
    atLimit.writeInbound(buf(FrameCodec.encodeToBytes(GOLDEN)));
    assertEquals(List.of(GOLDEN), drain(atLimit));

    EmbeddedChannel ch = channel(limit - 1);
    byte[] frame = FrameCodec.encodeToBytes(GOLDEN);
    // only the 4 length bytes: the decoder must not wait for the body
    DecoderException ex = assertThrows(DecoderException.class,
        () -> ch.writeInbound(Unpooled.wrappedBuffer(frame, 0, 4)));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, protocolError(ex).code());
    // the body, and a valid frame after it, are swallowed
    ch.writeInbound(Unpooled.wrappedBuffer(frame, 4, frame.length - 4));
    ch.writeInbound(buf(FrameCodec.encodeToBytes(Envelopes.heartbeat(1, 0))));
    assertNull(ch.readInbound());
    assertFalse(ch.finish());
  }

  @Test
  void lengthIsUnsigned() {
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    DecoderException ex = assertThrows(DecoderException.class,
        () -> ch.writeInbound(buf(new byte[] {(byte) 0x80, 0, 0, 0})));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, protocolError(ex).code());
  }

  @Test
  void garbageIsBadFrameAndNothingAfterItIsDelivered() {
    // each body is invalid protobuf: zero tag, wire type 7, truncated field, bad UTF-8 in a string
    List<byte[]> bodies = List.of(
        HEX.parseHex("00"), HEX.parseHex("0f"), HEX.parseHex("620f0a02"), HEX.parseHex("62040a02fffe"),
        HEX.parseHex("ffffffffffffffffffffff01"));
    for (byte[] body : bodies) {
      ByteBuf in = Unpooled.buffer();
      in.writeBytes(FrameCodec.encodeToBytes(Envelopes.heartbeat(1, 0)));
      in.writeInt(body.length).writeBytes(body);
      in.writeBytes(FrameCodec.encodeToBytes(Envelopes.heartbeat(2, 0)));
      EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
      DecoderException ex = assertThrows(DecoderException.class, () -> ch.writeInbound(in), HEX.formatHex(body));
      assertEquals(ErrorCode.BAD_FRAME, protocolError(ex).code());
      assertEquals(List.of(Envelopes.heartbeat(1, 0)), drain(ch), "only the frame before the bad one");
      ch.writeInbound(buf(FrameCodec.encodeToBytes(Envelopes.heartbeat(3, 0))));
      assertNull(ch.readInbound(), "input after a bad frame is discarded");
      assertFalse(ch.finish());
    }
  }

  @Test
  void randomBodiesEitherParseOrFailAsBadFrame() {
    Random random = new Random(20240601);
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
      byte[] body = new byte[1 + random.nextInt(64)];
      random.nextBytes(body);
      try {
        FrameCodec.parse(Unpooled.wrappedBuffer(body));
      } catch (ProtocolException e) {
        assertEquals(ErrorCode.BAD_FRAME, e.code());
        bad++;
      }
    }
    assertTrue(bad > 1000, "most random bytes are not an Envelope: " + bad);
  }

  @Test
  void zeroLengthBodyIsAnEnvelopeWithoutCommand() {
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(buf(new byte[4]));
    List<Envelope> got = drain(ch);
    assertEquals(1, got.size());
    assertEquals(Envelope.CommandCase.COMMAND_NOT_SET, got.get(0).getCommandCase());
    assertEquals(0, got.get(0).getRequestId());
  }

  @Test
  void unknownCommandFieldParsesWithoutCommandAndKeepsRequestId() {
    // request_id 42; field 99 (a command this build does not know) = message { field 1 "x" }
    byte[] body = HEX.parseHex("082a" + "9a06" + "03" + "0a0178");
    EmbeddedChannel ch = channel(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(Unpooled.buffer().writeInt(body.length).writeBytes(body));
    Envelope e = (Envelope) ch.readInbound();
    assertEquals(Envelope.CommandCase.COMMAND_NOT_SET, e.getCommandCase());
    assertEquals(42, e.getRequestId());
    assertTrue(e.getUnknownFields().hasField(99));
    assertArrayEquals(body, e.toByteArray(), "unknown field survives re-encoding");

    Envelope answer = Envelopes.unsupported(e);
    assertEquals(42, answer.getRequestId());
    assertEquals(ErrorCode.UNSUPPORTED, answer.getError().getCode());
    assertFalse(answer.getError().getFatal());
  }

  @Test
  void findWalksCauses() {
    ProtocolException pe = new ProtocolException(ErrorCode.BAD_FRAME, "x");
    assertEquals(pe, ProtocolException.find(new RuntimeException(new DecoderException(pe))).orElseThrow());
    assertTrue(ProtocolException.find(new RuntimeException("other")).isEmpty());
    assertTrue(ProtocolException.find(null).isEmpty());
  }
}
