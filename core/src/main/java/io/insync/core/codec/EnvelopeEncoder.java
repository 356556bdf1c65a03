package io.insync.core.codec;

import io.insync.protocol.Envelope;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes each outbound {@link Envelope} as a length-prefixed frame; an envelope over the limit
 * fails its write promise with a {@link ProtocolException} (FRAME_TOO_LARGE) and nothing is
 * written.
 */
@ChannelHandler.Sharable
final class EnvelopeEncoder extends MessageToMessageEncoder<Envelope> {
  private final int maxFrameBytes;

  EnvelopeEncoder(int maxFrameBytes) {
    super(Envelope.class);
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Envelope msg, List<Object> out) {
    out.add(FrameCodec.encode(ctx.alloc(), msg, maxFrameBytes));
  }
}
