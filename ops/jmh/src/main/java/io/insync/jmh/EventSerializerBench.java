package io.insync.jmh;

import io.insync.persistence.serialization.StoreCodec;
import io.insync.persistence.serialization.UserEventSerializer;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import java.util.HashSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The journal's serializer (persistence's {@link UserEventSerializer}): MessageSent and
 * MessageReceived to and from bytes (two of them are written per 1:1 message), and a snapshot of
 * a user with 200 messages (StoreCodec's UserState to UserSnapshot, through the serializer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EventSerializerBench {
  static final int SNAPSHOT_MESSAGES = 200;

  UserEventSerializer serializer = new UserEventSerializer();
  UserEntity.MessageSent sent;
  UserEntity.MessageReceived received;
  UserState state;
  byte[] sentBytes;
  byte[] receivedBytes;
  byte[] stateBytes;
  String sentManifest;
  String receivedManifest;
  String stateManifest;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    sent = Fixtures.messageSent();
    received = Fixtures.messageReceived();
    state = Fixtures.userState(SNAPSHOT_MESSAGES);
    sentManifest = serializer.manifest(sent);
    receivedManifest = serializer.manifest(received);
    stateManifest = serializer.manifest(state);
    sentBytes = serializer.toBinary(sent);
    receivedBytes = serializer.toBinary(received);
    stateBytes = serializer.toBinary(state);
    Fixtures.check(fromBinaryMessageSent().equals(sent), "MessageSent");
    Fixtures.check(fromBinaryMessageReceived().equals(received), "MessageReceived");
    UserState back = (UserState) fromBinarySnapshot();
    Fixtures.check(back.lastSeq() == SNAPSHOT_MESSAGES && state.lastSeq() == SNAPSHOT_MESSAGES, "snapshot lastSeq");
    // pending is a map by recipient whose iteration order is not kept (the same items, maybe another order)
    Fixtures.check(StoreCodec.toSnapshot(back).toBuilder().clearPending().build()
        .equals(StoreCodec.toSnapshot(state).toBuilder().clearPending().build()), "snapshot");
    Fixtures.check(new HashSet<>(back.allPending()).equals(new HashSet<>(state.allPending()))
        && back.pendingCount() == state.pendingCount() && state.pendingCount() > 0, "snapshot's pending items");
    Fixtures.check(back.tail().equals(state.tail()) && back.tail().size() == SNAPSHOT_MESSAGES, "snapshot's tail");
  }

  @Benchmark
  public byte[] toBinaryMessageSent() {
    return serializer.toBinary(sent);
  }

  @Benchmark
  public Object fromBinaryMessageSent() throws Exception {
    return serializer.fromBinary(sentBytes, sentManifest);
  }

  @Benchmark
  public byte[] toBinaryMessageReceived() {
    return serializer.toBinary(received);
  }

  @Benchmark
  public Object fromBinaryMessageReceived() throws Exception {
    return serializer.fromBinary(receivedBytes, receivedManifest);
  }

  @Benchmark
  public byte[] toBinarySnapshot() {
    return serializer.toBinary(state);
  }

  @Benchmark
  public Object fromBinarySnapshot() throws Exception {
    return serializer.fromBinary(stateBytes, stateManifest);
  }
}
