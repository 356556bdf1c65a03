package io.insync.gateway;

import io.insync.protocol.Envelope;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;

/**
 * Backpressure of one connection: reading stops (Netty {@code autoRead} off) while more than
 * {@code max-outstanding} frames of the client are unanswered, or while the channel is not
 * writable (its outbound buffer is above the high-water mark because the client does not read);
 * it resumes once at most {@code resume-outstanding} are unanswered and the channel is writable
 * again. Then TCP's own flow control pushes back on the client, and what the node holds for the
 * connection stays bounded.
 *
 * <p>Stopping reads only stops the <em>next</em> socket read: the frames of a read already made
 * (one 64 KiB read holds thousands of small requests) would still reach the session. So frames
 * that arrive while reading is held back wait here, in order, and go on to the session only as
 * answers come back: at most {@code max-outstanding} frames are ever at the session, and what
 * waits here is bounded by one socket read.
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
  private final ArrayDeque<Object> held = new ArrayDeque<>();

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
    if (msg instanceof Envelope && (holding() || !held.isEmpty())) {
      held.addLast(msg); // keeps the order: nothing overtakes a held frame
      update();
      return;
    }
    forward(msg);
  }

  private void forward(Object msg) {
    if (msg instanceof Envelope) {
      outstanding++;
      if (outstanding >= maxOutstanding) tooManyOutstanding = true;
      update();
    }
    ctx.fireChannelRead(msg);
  }

  private boolean holding() {
    return tooManyOutstanding || !ctx.channel().isWritable();
  }

  private void release() {
    while (!held.isEmpty() && !holding() && ctx.channel().isActive()) forward(held.pollFirst());
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    release();
    update();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    held.clear();
    ctx.fireChannelInactive();
  }

  /** One frame of the client is dealt with. Event loop only. */
  void answered() {
    if (outstanding > 0) outstanding--;
    if (outstanding <= resumeOutstanding) tooManyOutstanding = false;
    release();
    update();
  }

  /** Frames read but held back (not yet given to the session). */
  int held() {
    return held.size();
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
    boolean read = !holding() && held.isEmpty();
    if (ctx.channel().config().isAutoRead() != read) ctx.channel().config().setAutoRead(read);
  }
}
