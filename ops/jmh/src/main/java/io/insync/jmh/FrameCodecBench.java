package io.insync.jmh;

import io.insync.core.codec.FrameCodec;
import io.insync.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client protocol's frame codec (core): a typical Send (100-byte text) and a SyncResult of 50
 * such items, encoded into a pooled buffer as the gateway writes them, and parsed from a frame body
 * as the gateway reads them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameCodecBench {
  ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  Envelope send;
  Envelope syncResult;
  ByteBuf sendBody;
  ByteBuf syncResultBody;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    send = Fixtures.send();
    syncResult = Fixtures.syncResult(50);
    sendBody = body(send);
    syncResultBody = body(syncResult);
    Fixtures.check(FrameCodec.parse(sendBody).equals(send), "Send");
    Fixtures.check(FrameCodec.parse(syncResultBody).equals(syncResult), "SyncResult of 50");
    Fixtures.check(syncResult.getSyncResult().getItemsCount() == 50, "50 items");
    // what the benchmarks do, once: encode gives the same frame as encodeToBytes
    ByteBuf b = encodeSend();
    try {
      Fixtures.check(b.equals(Unpooled.wrappedBuffer(FrameCodec.encodeToBytes(send))), "encode(Send)");
    } finally {
      b.release();
    }
    Fixtures.check(decodeSyncResult().equals(syncResult), "decode(SyncResult)");
  }

  /** The frame body (no length prefix), as the frame decoder hands it on. */
  static ByteBuf body(Envelope e) {
    byte[] frame = FrameCodec.encodeToBytes(e);
    return Unpooled.wrappedBuffer(frame, FrameCodec.LENGTH_PREFIX_BYTES, frame.length - FrameCodec.LENGTH_PREFIX_BYTES);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    sendBody.release();
    syncResultBody.release();
  }

  ByteBuf encodeSend() {
    return FrameCodec.encode(alloc, send);
  }

  @Benchmark
  public int encodeSendFrame() {
    ByteBuf b = FrameCodec.encode(alloc, send);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public Envelope decodeSendFrame() throws Exception {
    return FrameCodec.parse(sendBody);
  }

  @Benchmark
  public int encodeSyncResult50() {
    ByteBuf b = FrameCodec.encode(alloc, syncResult);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public Envelope decodeSyncResult50() throws Exception {
    return decodeSyncResult();
  }

  Envelope decodeSyncResult() throws Exception {
    return FrameCodec.parse(syncResultBody);
  }
}
