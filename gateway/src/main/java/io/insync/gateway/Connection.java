package io.insync.gateway;

import io.insync.core.codec.Envelopes;
import io.insync.core.codec.ProtocolException;
import io.insync.persistence.metrics.InsyncMetrics;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's side of its channel. Every client frame the session receives is answered exactly
 * once through {@link #reply} or {@link #done} (so {@link FlowControl} knows how many are
 * outstanding); pushes go through {@link #push}. Everything runs on the channel's event loop, in
 * the order the session called it.
 */
final class Connection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final Channel channel;
  private final FlowControl flow;

  Connection(Channel channel, FlowControl flow) {
    this.channel = channel;
    this.flow = flow;
  }

  /** The session user's flag segments, counted with every Error answered (set by the session per request). */
  private String[] segments = new String[0];

  void segments(String[] segments) {
    this.segments = segments;
  }

  /** The answer to one client frame (a result or an Error). */
  void reply(Envelope answer) {
    countError(answer);
    if (segments.length > 0 && answer.getCommandCase() == Envelope.CommandCase.ERROR) InsyncMetrics.flagError(segments);
    onLoop(() -> {
      channel.writeAndFlush(answer).addListener(f -> {
        // our own answer did not fit in a frame: tell the client instead of leaving it waiting
        if (!f.isSuccess() && ProtocolException.find(f.cause()).isPresent() && channel.isActive()) {
          log.warn("answer to request {} not sent: {}", answer.getRequestId(), f.cause().getMessage());
          channel.writeAndFlush(Envelopes.error(answer.getRequestId(), ErrorCode.INTERNAL,
              "the answer does not fit in a frame", 0, false));
        }
      });
      flow.answered();
    });
  }

  /** One client frame is dealt with and gets no answer (an Ack, or a frame dropped while closing). */
  void done() {
    onLoop(flow::answered);
  }

  /** A server push; dropped while the client does not read (it catches up on its next sync). */
  void push(Envelope notify) {
    onLoop(() -> {
      if (channel.isWritable()) channel.writeAndFlush(notify);
    });
  }

  /** Every Error a client gets passes here or through {@link #closeAfterWrite}: counted by its code. */
  static void countError(Envelope e) {
    if (e.getCommandCase() == Envelope.CommandCase.ERROR) InsyncMetrics.error(e.getError().getCode().name());
  }

  /** Writes a (fatal) Error, then closes the channel. */
  void closeAfter(Envelope error) {
    onLoop(() -> closeAfterWrite(channel, error));
  }

  /** How long a closing connection may take to take its last Error before it is cut. */
  static final long CLOSE_GRACE_MILLIS = 5_000;

  /**
   * Writes {@code last} and closes the channel once it is written — or at once if the client
   * does not read (the write would never complete), and at the latest after
   * {@link #CLOSE_GRACE_MILLIS}: a client that stopped reading cannot keep its connection open.
   */
  static void closeAfterWrite(Channel channel, Envelope last) {
    countError(last);
    boolean reading = channel.isWritable();
    channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    if (!reading) {
      channel.close();
    } else {
      channel.eventLoop().schedule(() -> {
        if (channel.isOpen()) channel.close();
      }, CLOSE_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  private void onLoop(Runnable task) {
    try {
      channel.eventLoop().execute(task);
    } catch (RejectedExecutionException e) {
      // the event loop is shutting down: the channel is gone with it
    }
  }
}
