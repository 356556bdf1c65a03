package io.insync.gateway;

import com.google.protobuf.CodedOutputStream;
import io.insync.core.codec.FrameCodec;
import io.insync.core.codec.ProtocolException;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The framing stage of a WebSocket connection: HTTP upgrade on {@code websocket.path}, then one
 * binary WebSocket message = one {@link Envelope}'s protobuf bytes (no length prefix) in both
 * directions. What follows it in the pipeline (idle, {@link FlowControl}, the session) is the same
 * as on TCP and is installed only once the upgrade is done, by {@code installSessionStages}.
 *
 * <p>Pipeline names, in order: {@value #HTTP_CODEC} and {@value #HTTP_AGGREGATOR} (the upgrade
 * request only; Netty replaces both by its frame decoder and encoder on upgrade), {@value
 * #WS_PROTOCOL} (handshake, ping → pong, close frames), {@value #WS_AGGREGATOR} (continuation
 * frames are joined, bounded by {@code max-frame-bytes}), {@value #WS_ENVELOPES} (this class).
 *
 * <p>Violations cost only this connection and are reported like a bad TCP frame: a fatal
 * {@code Error} (BAD_FRAME, or FRAME_TOO_LARGE for a message over {@code max-frame-bytes}) as a
 * binary message, then a WebSocket close frame whose status says why (1003 for a text frame, 1007
 * for bytes that are not an Envelope, 1009 for a message too large, 1002 for a broken frame), then
 * the TCP close. Every other close by the server sends close status 1000 after the fatal Error.
 */
final class WebSocketFraming extends ChannelDuplexHandler {
  static final String HTTP_CODEC = "http-codec";
  static final String HTTP_AGGREGATOR = "http-aggregator";
  static final String WS_PROTOCOL = "ws-protocol";
  static final String WS_AGGREGATOR = "ws-aggregator";
  static final String WS_ENVELOPES = "ws-envelopes";

  /** Largest upgrade request body accepted (an upgrade has none; anything bigger gets 413). */
  private static final int MAX_HTTP_CONTENT = 8 * 1024;

  private final String path;
  private final int maxFrameBytes;
  private final Consumer<ChannelPipeline> sessionStages;
  private boolean upgraded;
  private boolean failed;
  private boolean closeFrameSent;
  private WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NORMAL_CLOSURE;

  private WebSocketFraming(String path, int maxFrameBytes, Consumer<ChannelPipeline> sessionStages) {
    this.path = path;
    this.maxFrameBytes = maxFrameBytes;
    this.sessionStages = sessionStages;
  }

  /**
   * Adds the WebSocket framing stages at the end of {@code p}; once the upgrade is done, {@code
   * sessionStages} adds the rest. {@code handshakeTimeoutMillis} bounds the upgrade.
   */
  static void install(ChannelPipeline p, String path, int maxFrameBytes, long handshakeTimeoutMillis,
      Consumer<ChannelPipeline> sessionStages) {
    WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(maxFrameBytes) // checked on the frame header, before any payload is buffered
        .expectMaskedFrames(true)
        .allowMaskMismatch(false)
        .allowExtensions(false)
        .closeOnProtocolViolation(false) // we write the Error first, then close (see exceptionCaught)
        .withUTF8Validator(false) // text frames are refused whatever they hold
        .build();
    WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(path)
        .checkStartsWith(true) // "/sync?x=y" is the same endpoint
        .handshakeTimeoutMillis(handshakeTimeoutMillis)
        .handleCloseFrames(true)
        .sendCloseFrame(null) // our close(...) sends it, with the status that says why
        .dropPongFrames(true)
        .decoderConfig(decoder)
        .build();
    p.addLast(HTTP_CODEC, new HttpServerCodec());
    p.addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_HTTP_CONTENT));
    p.addLast(WS_PROTOCOL, new ProtocolHandler(config));
    p.addLast(WS_AGGREGATOR, new WebSocketFrameAggregator(maxFrameBytes));
    p.addLast(WS_ENVELOPES, new WebSocketFraming(path, maxFrameBytes, sessionStages));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof WebSocketFrame) startSession(ctx);
      if (msg instanceof BinaryWebSocketFrame frame) {
        if (failed) return;
        Envelope envelope;
        try {
          envelope = FrameCodec.parse(frame.content());
        } catch (ProtocolException e) {
          throw violation(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, e);
        }
        ctx.fireChannelRead(envelope);
      } else if (msg instanceof TextWebSocketFrame) {
        if (failed) return;
        throw violation(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, new ProtocolException(ErrorCode.BAD_FRAME,
            "text messages are not part of the protocol: send each Envelope as one binary message"));
      } else if (msg instanceof FullHttpRequest request) {
        notFound(ctx, request); // the protocol handler passes on requests for other paths
      }
      // anything else (a stray frame after a failure) is dropped
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void notFound(ChannelHandlerContext ctx, FullHttpRequest request) {
    byte[] body = ("insync serves the SYNC protocol over WebSocket at " + path + ", not at " + request.uri() + "\n")
        .getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private ProtocolException violation(WebSocketCloseStatus status, ProtocolException e) {
    failed = true;
    closeStatus = status;
    return e;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) startSession(ctx);
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * Installs the session stages, once. Called on HandshakeComplete, and also on the first frame or
   * frame error, which can only come after the upgrade: should the event ever come later than the
   * client's first frame (Netty notifies it from a write listener), that frame, usually the Auth,
   * is not lost.
   */
  private void startSession(ChannelHandlerContext ctx) {
    if (upgraded) return;
    upgraded = true;
    sessionStages.accept(ctx.pipeline());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable mapped = cause;
    if (cause instanceof CorruptedWebSocketFrameException || cause instanceof TooLongFrameException) {
      startSession(ctx); // frame errors come only after the upgrade
    }
    if (cause instanceof CorruptedWebSocketFrameException bad) {
      mapped = bad.closeStatus() != null && bad.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()
          ? violation(WebSocketCloseStatus.MESSAGE_TOO_BIG, tooLarge())
          : violation(WebSocketCloseStatus.PROTOCOL_ERROR,
              new ProtocolException(ErrorCode.BAD_FRAME, "bad WebSocket frame: " + bad.getMessage(), bad));
    } else if (cause instanceof TooLongFrameException) {
      mapped = violation(WebSocketCloseStatus.MESSAGE_TOO_BIG, tooLarge()); // from the continuation aggregator
    }
    if (upgraded) {
      ctx.fireExceptionCaught(mapped); // the session stage answers it as it does on TCP
    } else {
      ctx.close();
    }
  }

  private ProtocolException tooLarge() {
    return new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "message exceeds the limit of " + maxFrameBytes + " bytes");
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Envelope envelope)) {
      ctx.write(msg, promise);
      return;
    }
    ByteBuf body;
    try {
      body = encode(ctx, envelope);
    } catch (ProtocolException e) {
      promise.setFailure(e); // as on TCP: the caller learns that its answer did not fit
      return;
    }
    ctx.write(new BinaryWebSocketFrame(body), promise);
  }

  private ByteBuf encode(ChannelHandlerContext ctx, Envelope e) {
    int size = e.getSerializedSize();
    if (size > maxFrameBytes) {
      throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE,
          "envelope of " + size + " bytes exceeds the frame limit of " + maxFrameBytes);
    }
    ByteBuf buf = ctx.alloc().buffer(size);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(new ByteBufOutputStream(buf), Math.max(1, Math.min(size, 4096)));
      e.writeTo(out);
      out.flush();
      return buf;
    } catch (IOException | RuntimeException ex) {
      buf.release();
      throw new IllegalStateException("cannot encode an envelope", ex);
    }
  }

  /**
   * A close by the server: first a close frame (status {@link #closeStatus}), then the TCP close
   * once it is written. A client that does not read is closed at once, as on TCP.
   */
  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (!upgraded || closeFrameSent || !ctx.channel().isActive() || !ctx.channel().isWritable()) {
      ctx.close(promise);
      return;
    }
    closeFrameSent = true;
    ctx.writeAndFlush(new CloseWebSocketFrame(closeStatus)).addListener(f -> ctx.close(promise));
  }

  /**
   * Netty's protocol handler answers a failed handshake with 400 itself, but closes the channel at
   * once on every other error; here those go on to the session stage, which writes the Error first.
   */
  private static final class ProtocolHandler extends WebSocketServerProtocolHandler {
    ProtocolHandler(WebSocketServerProtocolConfig config) {
      super(config);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof WebSocketHandshakeException) {
        super.exceptionCaught(ctx, cause);
      } else {
        ctx.fireExceptionCaught(cause);
      }
    }
  }
}
