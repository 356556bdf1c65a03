package io.insync.core.codec;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelPipeline;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The insync frame format: each frame is a 4-byte unsigned big-endian length followed by
 * exactly that many bytes of one serialized {@link Envelope}.
 *
 * <p>{@link #install(ChannelPipeline, int)} sets up a Netty pipeline whose inbound side emits
 * {@code Envelope} objects and whose outbound side accepts them. Decode errors surface as
 * exceptions whose cause chain holds a {@link ProtocolException} ({@link ErrorCode#BAD_FRAME}
 * or {@link ErrorCode#FRAME_TOO_LARGE}); after the first one, the decoders discard everything
 * else that arrives on that channel, so the owner can write an {@code Error} and close.
 */
public final class FrameCodec {
  /** The default limit on the body (not counting the 4-byte length): 1 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;

  /** Size of the length prefix in bytes. */
  public static final int LENGTH_PREFIX_BYTES = 4;

  /** Pipeline name of the length-field frame decoder. */
  public static final String FRAME_DECODER = "frame-decoder";
  /** Pipeline name of the {@code ByteBuf -> Envelope} decoder. */
  public static final String ENVELOPE_DECODER = "envelope-decoder";
  /** Pipeline name of the {@code Envelope -> ByteBuf} encoder. */
  public static final String ENVELOPE_ENCODER = "envelope-encoder";

  private FrameCodec() {}

  /** Encodes one envelope as a complete frame (length prefix and body). No size limit applies. */
  public static byte[] encodeToBytes(Envelope e) {
    int size = e.getSerializedSize();
    byte[] out = new byte[LENGTH_PREFIX_BYTES + size];
    out[0] = (byte) (size >>> 24);
    out[1] = (byte) (size >>> 16);
    out[2] = (byte) (size >>> 8);
    out[3] = (byte) size;
    CodedOutputStream cos = CodedOutputStream.newInstance(out, LENGTH_PREFIX_BYTES, size);
    try {
      e.writeTo(cos);
      cos.checkNoSpaceLeft();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex); // cannot happen when writing to an array
    }
    return out;
  }

  /**
   * Encodes one envelope as a complete frame into a new buffer from {@code alloc}. The caller
   * owns the returned buffer. No size limit applies; see {@link #encode(ByteBufAllocator,
   * Envelope, int)}.
   */
  public static ByteBuf encode(ByteBufAllocator alloc, Envelope e) {
    return encode(alloc, e, Integer.MAX_VALUE);
  }

  /**
   * Encodes one envelope as a complete frame, refusing bodies over {@code maxFrameBytes} with
   * a {@link ProtocolException} ({@link ErrorCode#FRAME_TOO_LARGE}) before allocating anything.
   */
  public static ByteBuf encode(ByteBufAllocator alloc, Envelope e, int maxFrameBytes) {
    int size = e.getSerializedSize();
    if (size > maxFrameBytes) {
      throw new ProtocolException(
          ErrorCode.FRAME_TOO_LARGE,
          "envelope of " + size + " bytes exceeds the frame limit of " + maxFrameBytes);
    }
    ByteBuf buf = alloc.buffer(LENGTH_PREFIX_BYTES + size);
    try {
      buf.writeInt(size);
      CodedOutputStream cos = CodedOutputStream.newInstance(new ByteBufOutputStream(buf), 
          Math.max(1, Math.min(size, 4096)));
      e.writeTo(cos);
      cos.flush();
      return buf;
    } catch (IOException | RuntimeException ex) {
      buf.release();
      if (ex instanceof RuntimeException re) {
        throw re;
      }
      throw new UncheckedIOException((IOException) ex);
    }
  }

  /**
   * Parses one frame body (without the length prefix): all readable bytes of {@code body}.
   * Does not change the buffer's reader index and does not release it. Unknown fields and
   * unknown command numbers are kept as unknown fields; such an envelope has {@code
   * COMMAND_NOT_SET}.
   *
   * @throws ProtocolException with {@link ErrorCode#BAD_FRAME} if the bytes are not an Envelope
   */
  public static Envelope parse(ByteBuf body) throws ProtocolException {
    try {
      CodedInputStream in;
      if (body.nioBufferCount() == 1) {
        in = CodedInputStream.newInstance(body.nioBuffer());
      } else {
        byte[] copy = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), copy);
        in = CodedInputStream.newInstance(copy);
      }
      Envelope envelope = Envelope.parseFrom(in);
      return envelope;
    } catch (InvalidProtocolBufferException ex) {
      throw new ProtocolException(ErrorCode.BAD_FRAME, "not a valid Envelope: " + ex.getMessage(), ex);
    } catch (IOException ex) {
      throw new ProtocolException(ErrorCode.BAD_FRAME, "not a valid Envelope", ex);
    }
  }

  /**
   * Adds {@value #FRAME_DECODER}, {@value #ENVELOPE_DECODER} and {@value #ENVELOPE_ENCODER}
   * (in that order) at the end of {@code p}. {@code maxFrameBytes} limits the body of a frame
   * in both directions.
   */
  public static void install(ChannelPipeline p, int maxFrameBytes) {
    if (maxFrameBytes < 0) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 0: " + maxFrameBytes);
    }
    p.addLast(FRAME_DECODER, new FrameDecoder(maxFrameBytes));
    p.addLast(ENVELOPE_DECODER, new EnvelopeDecoder());
    p.addLast(ENVELOPE_ENCODER, new EnvelopeEncoder(maxFrameBytes));
  }
}
