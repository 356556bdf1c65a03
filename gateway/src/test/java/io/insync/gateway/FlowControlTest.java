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
  void readingStopsAtMaxOutstandingAndResumesAtTheResumeMark() {
    for (int i = 1; i <= 3; i++) ch.writeInbound(Envelopes.heartbeat(i, 0));
    assertTrue(ch.config().isAutoRead(), "3 outstanding is below the bound");
    ch.writeInbound(Envelopes.heartbeat(4, 0));
    assertFalse(ch.config().isAutoRead(), "4 outstanding: the bound");
    assertTrue(flow.pausedForOutstanding());
    assertEquals(4, flow.outstanding());

    flow.answered();
    assertFalse(ch.config().isAutoRead(), "3 outstanding: still above the resume mark");
    flow.answered();
    assertTrue(ch.config().isAutoRead(), "2 outstanding: reading again");
    assertFalse(flow.pausedForOutstanding());
    assertEquals(4, ch.inboundMessages().size(), "every frame was passed on");
  }

  @Test
  void framesOfOneReadBeyondTheBoundWaitAndGoOnInOrderAsAnswersComeBack() {
    // one socket read can hold thousands of small requests: stopping reads does not stop those
    for (int i = 1; i <= 200; i++) ch.pipeline().fireChannelRead(Envelopes.sync(i, 0, 0));
    assertEquals(4, ch.inboundMessages().size(), "only max-outstanding frames reach the session");
    assertEquals(196, flow.held());
    assertFalse(ch.config().isAutoRead());
    for (int answered = 0; answered < 200; answered++) flow.answered();
    assertEquals(200, ch.inboundMessages().size(), "all passed on in the end");
    assertEquals(0, flow.held());
    long expected = 1;
    for (Object m : ch.inboundMessages()) {
      assertEquals(expected++, ((io.insync.protocol.Envelope) m).getRequestId(), "in the order read");
    }
    assertTrue(ch.config().isAutoRead());
  }

  @Test
  void whileTheClientDoesNotReadNewFramesWaitToo() {
    ch.write(Unpooled.wrappedBuffer(new byte[2000])); // the client does not read: not writable
    ch.pipeline().fireChannelRead(Envelopes.sync(1, 0, 0));
    ch.pipeline().fireChannelRead(Envelopes.sync(2, 0, 0));
    assertEquals(0, ch.inboundMessages().size(), "no new work for a client that does not read");
    assertEquals(2, flow.held());
    ch.flush();
    assertEquals(2, ch.inboundMessages().size());
    ch.releaseOutbound();
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
    for (int i = 1; i <= 4; i++) ch.writeInbound(Envelopes.heartbeat(i, 0));
    ch.write(Unpooled.wrappedBuffer(new byte[2000]));
    assertFalse(ch.config().isAutoRead());
    for (int i = 0; i < 4; i++) flow.answered();
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
