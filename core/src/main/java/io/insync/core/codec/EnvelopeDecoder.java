package io.insync.core.codec;

import io.insync.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/**
 * Parses each frame body into an {@link Envelope}. After the first unparseable body it drops
 * every further frame on the channel.
 */
final class EnvelopeDecoder extends MessageToMessageDecoder<ByteBuf> {
  private boolean failed;

  EnvelopeDecoder() {
    super(ByteBuf.class);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf body, List<Object> out) {
    if (failed) {
      return; // the superclass releases the buffer
    }
    try {
      out.add(FrameCodec.parse(body));
    } catch (ProtocolException e) {
      failed = true;
      throw e;
    }
  }
}
