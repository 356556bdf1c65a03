package io.insync.core.codec;

import io.insync.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the inbound byte stream into frame bodies: 4-byte unsigned big-endian length,
 * stripped, fail-fast on an oversized length. After the first error it swallows all further
 * input, so nothing that follows a bad frame is ever delivered.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
  private final int maxFrameBytes;
  private boolean failed;

  FrameDecoder(int maxFrameBytes) {
    // maxFrameLength in Netty counts the length field too; clamp to avoid int overflow
    super(
        (int) Math.min(Integer.MAX_VALUE, (long) maxFrameBytes + FrameCodec.LENGTH_PREFIX_BYTES),
        0, FrameCodec.LENGTH_PREFIX_BYTES, 0, FrameCodec.LENGTH_PREFIX_BYTES, true);
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    try {
      return super.decode(ctx, in);
    } catch (TooLongFrameException e) {
      fail(in);
      throw new ProtocolException(
          ErrorCode.FRAME_TOO_LARGE, "frame exceeds the limit of " + maxFrameBytes + " bytes", e);
    } catch (RuntimeException e) {
      fail(in);
      throw new ProtocolException(ErrorCode.BAD_FRAME, "bad frame: " + e.getMessage(), e);
    }
  }

  private void fail(ByteBuf in) {
    failed = true;
    in.skipBytes(in.readableBytes());
  }
}
