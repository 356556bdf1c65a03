package io.insync.gateway;

import io.insync.protocol.Envelope;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Backpressure of one connection: reading stops (Netty {@code autoRead} off) while more than
 * {@code max-outstanding} frames of the client are unanswered, or while the channel is not
 * writable (its outbound buffer is above the high-water mark because the client does not read);
 * it resumes once at most {@code resume-outstanding} are unanswered and the channel is writable
 * again. Then TCP's own flow control pushes back on the client, and what the node holds for the
 * connection stays bounded.
 *
 * <p>Every inbound {@link Envelope} counts as outstanding until the session reports it
 * {@link #answered()} (replied to, refused, or done with without reply, as an Ack). Confined to
 * the channel's event loop: the session calls {@link #answered()} through {@link Connection}.
 */
final class FlowControl extends ChannelDuplexHandler {
  static final String NAME = "flow-control";

  private final int maxOutstanding;
  private final int resumeOutstanding;
  private ChannelHandlerContext ctx;
  private int outstanding;
  private boolean tooManyOutstanding;

  FlowControl(GatewaySettings.Backpressure settings) {
    this.maxOutstanding = settings.maxOutstanding();
    this.resumeOutstanding = settings.resumeOutstanding();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Envelope) {
      outstanding++;
      if (outstanding > maxOutstanding) tooManyOutstanding = true;
      update();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    update();
    ctx.fireChannelWritabilityChanged();
  }

  /** One frame of the client is dealt with. Event loop only. */
  void answered() {
    if (outstanding > 0) outstanding--;
    if (outstanding <= resumeOutstanding) tooManyOutstanding = false;
    update();
  }

  /** Frames read and not yet answered. */
  int outstanding() {
    return outstanding;
  }

  /** True while reading is stopped because too many requests are unanswered (not the client's fault). */
  boolean pausedForOutstanding() {
    return tooManyOutstanding;
  }

  private void update() {
    if (ctx == null) return;
    boolean read = !tooManyOutstanding && ctx.channel().isWritable();
    if (ctx.channel().config().isAutoRead() != read) ctx.channel().config().setAutoRead(read);
  }
}
