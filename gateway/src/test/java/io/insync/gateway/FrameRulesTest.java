package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnknownFieldSet;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Notify;
import org.junit.jupiter.api.Test;

/** {@link FrameRules} as plain functions. */
class FrameRulesTest {
  private static Envelope refusal(Envelope e) {
    return FrameRules.refusal(e).orElseThrow();
  }

  @Test
  void clientRequestsWithANonZeroIdPass() {
    assertTrue(FrameRules.refusal(Envelopes.auth(1, "t", "v")).isEmpty());
    assertTrue(FrameRules.refusal(Envelopes.send(2, "m", "bob", Envelopes.text("x"))).isEmpty());
    assertTrue(FrameRules.refusal(Envelopes.sync(3, 0, 0)).isEmpty());
    assertTrue(FrameRules.refusal(Envelopes.ack(4, 1)).isEmpty());
    assertTrue(FrameRules.refusal(Envelopes.heartbeat(5, 0)).isEmpty());
  }

  @Test
  void anEnvelopeWithoutCommandIsABadRequest() {
    Envelope e = refusal(Envelope.newBuilder().setRequestId(7).build());
    assertEquals(7, e.getRequestId());
    assertEquals(ErrorCode.BAD_REQUEST, e.getError().getCode());
    assertFalse(e.getError().getFatal());
  }

  @Test
  void anUnknownCommandIsUnsupported() {
    Envelope unknown = Envelope.newBuilder().setRequestId(8)
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
        .build();
    Envelope e = refusal(unknown);
    assertEquals(8, e.getRequestId());
    assertEquals(ErrorCode.UNSUPPORTED, e.getError().getCode());
  }

  @Test
  void serverOnlyCommandsAreBadRequests() {
    Envelope e = refusal(Envelope.newBuilder().setRequestId(9).setNotify(Notify.getDefaultInstance()).build());
    assertEquals(ErrorCode.BAD_REQUEST, e.getError().getCode());
    assertEquals("notify is sent by servers only", e.getError().getReason());
  }

  @Test
  void requestIdZeroIsABadRequestForEveryClientCommand() {
    for (Envelope in : new Envelope[] {Envelopes.auth(0, "t", "v"), Envelopes.ack(0, 1), Envelopes.heartbeat(0, 0),
        Envelopes.sync(0, 0, 0), Envelopes.send(0, "m", "bob", Envelopes.text("x"))}) {
      Envelope e = refusal(in);
      assertEquals(0, e.getRequestId());
      assertEquals(ErrorCode.BAD_REQUEST, e.getError().getCode());
      assertFalse(e.getError().getFatal());
    }
  }
}
