package io.insync.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs every benchmark's set-up (which asserts its round trips) and each benchmark method once,
 * without JMH's timing: `mvn verify` checks that the benchmarks measure what they say, never how fast.
 */
class BenchmarkSetupsTest {

  @Test
  void frameCodec() throws Exception {
    FrameCodecBench b = new FrameCodecBench();
    b.setup();
    try {
      assertTrue(b.encodeSendFrame() > 100, "a frame with a 100-byte text");
      assertEquals(b.send, b.decodeSendFrame());
      assertTrue(b.encodeSyncResult50() > 50 * 100);
      assertEquals(50, b.decodeSyncResult50().getSyncResult().getItemsCount());
      assertEquals(b.syncResult, b.decodeSyncResult50());
    } finally {
      b.tearDown();
    }
  }

  @Test
  void kryoSerializer() throws Exception {
    KryoSerializerBench b = new KryoSerializerBench();
    b.setup();
    try {
      assertEquals(b.deliver1, b.kryo.fromBinary(b.toBinaryDeliver1()));
      assertEquals(b.deliver20, b.kryo.fromBinary(b.toBinaryDeliver20()));
      assertEquals(20, ((UserEntity.Deliver) b.fromBinaryDeliver20()).items().size());
      assertEquals(b.sendAccepted, b.fromBinarySendAccepted());
      assertArrayEquals(b.sendAcceptedBytes, b.toBinarySendAccepted());
      assertTrue(b.toBinaryDeliver20().length > 20 * 100, "20 texts of 100 bytes");
    } finally {
      b.tearDown();
    }
  }

  @Test
  void eventSerializer() throws Exception {
    EventSerializerBench b = new EventSerializerBench();
    b.setup();
    assertEquals(b.sent, b.serializer.fromBinary(b.toBinaryMessageSent(), b.sentManifest));
    assertEquals(b.received, b.serializer.fromBinary(b.toBinaryMessageReceived(), b.receivedManifest));
    UserState back = (UserState) b.fromBinarySnapshot();
    assertEquals(EventSerializerBench.SNAPSHOT_MESSAGES, back.lastSeq());
    assertEquals(b.state.tail(), back.tail());
    assertTrue(b.toBinarySnapshot().length > EventSerializerBench.SNAPSHOT_MESSAGES * 100);
  }

  @Test
  void aBrokenRoundTripFailsLoudly() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Fixtures.check(false, "X"));
    assertEquals("round trip broken: X", e.getMessage());
  }

  @Test
  void theAnnotationProcessorListedEveryBenchmark() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
      assertTrue(in != null, "META-INF/BenchmarkList generated");
      String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String m : List.of("FrameCodecBench_encodeSendFrame", "FrameCodecBench_decodeSendFrame",
          "FrameCodecBench_encodeSyncResult50", "FrameCodecBench_decodeSyncResult50",
          "KryoSerializerBench_toBinaryDeliver1", "KryoSerializerBench_fromBinaryDeliver1",
          "KryoSerializerBench_toBinaryDeliver20", "KryoSerializerBench_fromBinaryDeliver20",
          "KryoSerializerBench_toBinarySendAccepted", "KryoSerializerBench_fromBinarySendAccepted",
          "EventSerializerBench_toBinaryMessageSent", "EventSerializerBench_fromBinaryMessageSent",
          "EventSerializerBench_toBinaryMessageReceived", "EventSerializerBench_fromBinaryMessageReceived",
          "EventSerializerBench_toBinarySnapshot", "EventSerializerBench_fromBinarySnapshot")) {
        assertTrue(list.contains("io.insync.jmh.jmh_generated." + m + "_jmhTest"), m + " in " + list);
      }
      assertEquals(16, list.lines().filter(l -> l.startsWith("JMH ")).count(), list);
    }
  }
}
