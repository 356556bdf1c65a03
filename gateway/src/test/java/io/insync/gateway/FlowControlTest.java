package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** {@link FlowControl} on an {@link EmbeddedChannel}: when reading stops and when it resumes. */
class FlowControlTest {
  private final FlowControl flow = new FlowControl(new GatewaySettings.Backpressure(4, 2, 1024, 256));
  private final EmbeddedChannel ch = new EmbeddedChannel(flow);

  {
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(256, 1024));
  }

  @Test
  void readingStopsPastMaxOutstandingAndResumesAtTheResumeMark() {
    for (int i = 1; i <= 4; i++) ch.writeInbound(Envelopes.heartbeat(i, 0));
    assertTrue(ch.config().isAutoRead(), "4 outstanding is at the bound, not past it");
    ch.writeInbound(Envelopes.heartbeat(5, 0));
    assertFalse(ch.config().isAutoRead(), "5 > 4 outstanding");
    assertTrue(flow.pausedForOutstanding());
    assertEquals(5, flow.outstanding());

    flow.answered();
    flow.answered();
    assertFalse(ch.config().isAutoRead(), "3 outstanding: still above the resume mark");
    flow.answered();
    assertTrue(ch.config().isAutoRead(), "2 outstanding: reading again");
    assertFalse(flow.pausedForOutstanding());
    assertEquals(5, ch.inboundMessages().size(), "every frame was passed on");
  }

  @Test
  void readingStopsWhileTheOutboundBufferIsAboveTheHighWaterMark() {
    ch.write(Unpooled.wrappedBuffer(new byte[2000])); // queued, not flushed: above the 1024 mark
    assertFalse(ch.isWritable());
    assertFalse(ch.config().isAutoRead());
    assertFalse(flow.pausedForOutstanding(), "the client's slowness, not the node's");
    flow.answered(); // answers do not turn reading back on while the buffer is full
    assertFalse(ch.config().isAutoRead());
    ch.flush();
    assertTrue(ch.isWritable());
    assertTrue(ch.config().isAutoRead(), "below the low-water mark: reading again");
    ch.releaseOutbound();
  }

  @Test
  void bothConditionsMustClearBeforeReadingResumes() {
    for (int i = 1; i <= 5; i++) ch.writeInbound(Envelopes.heartbeat(i, 0));
    ch.write(Unpooled.wrappedBuffer(new byte[2000]));
    assertFalse(ch.config().isAutoRead());
    for (int i = 0; i < 5; i++) flow.answered();
    assertFalse(ch.config().isAutoRead(), "still not writable");
    ch.flush();
    assertTrue(ch.config().isAutoRead());
    ch.releaseOutbound();
  }

  @Test
  void otherInboundObjectsAreNotCounted() {
    for (int i = 0; i < 10; i++) ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
    assertEquals(0, flow.outstanding());
    assertTrue(ch.config().isAutoRead());
    ch.releaseInbound();
  }
}
