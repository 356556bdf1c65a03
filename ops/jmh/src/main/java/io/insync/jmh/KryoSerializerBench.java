package io.insync.jmh;

import com.typesafe.config.ConfigFactory;
import io.insync.cluster.serialization.KryoSerializer;
import io.insync.persistence.user.UserEntity;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cross-node serializer (cluster's {@link KryoSerializer}, with its registrations): a Deliver
 * of 1 and of 20 messages (with the typed reply-to ref, through a real ActorSystem's
 * ActorRefResolver) and a SendAccepted, toBinary and fromBinary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KryoSerializerBench {
  ActorSystem<Void> system;
  KryoSerializer kryo;
  UserEntity.Deliver deliver1;
  UserEntity.Deliver deliver20;
  UserEntity.SendAccepted sendAccepted;
  byte[] deliver1Bytes;
  byte[] deliver20Bytes;
  byte[] sendAcceptedBytes;

  @Setup(Level.Trial)
  public void setup() {
    // a local system: the serializer needs its ActorRefResolver, nothing of the cluster
    system = ActorSystem.create(Behaviors.empty(), "jmh", ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.stdout-loglevel = WARNING")
        .withFallback(ConfigFactory.load()));
    kryo = new KryoSerializer((ExtendedActorSystem) Adapter.toClassic(system));
    ActorRef<UserEntity.DeliveryReceipt> replyTo = system.systemActorOf(Behaviors.empty(), "receipts", Props.empty());
    deliver1 = new UserEntity.Deliver("bench1k2x3u12", Fixtures.deliveries(1), replyTo);
    deliver20 = new UserEntity.Deliver("bench1k2x3u12", Fixtures.deliveries(20), replyTo);
    sendAccepted = Fixtures.sendAccepted();
    deliver1Bytes = kryo.toBinary(deliver1);
    deliver20Bytes = kryo.toBinary(deliver20);
    sendAcceptedBytes = kryo.toBinary(sendAccepted);
    Fixtures.check(fromBinaryDeliver1().equals(deliver1), "Deliver of 1");
    Fixtures.check(fromBinaryDeliver20().equals(deliver20), "Deliver of 20");
    Fixtures.check(fromBinarySendAccepted().equals(sendAccepted), "SendAccepted");
    Fixtures.check(((UserEntity.Deliver) fromBinaryDeliver20()).replyTo().equals(replyTo), "reply-to ref");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
  }

  @Benchmark
  public byte[] toBinaryDeliver1() {
    return kryo.toBinary(deliver1);
  }

  @Benchmark
  public Object fromBinaryDeliver1() {
    return kryo.fromBinary(deliver1Bytes);
  }

  @Benchmark
  public byte[] toBinaryDeliver20() {
    return kryo.toBinary(deliver20);
  }

  @Benchmark
  public Object fromBinaryDeliver20() {
    return kryo.fromBinary(deliver20Bytes);
  }

  @Benchmark
  public byte[] toBinarySendAccepted() {
    return kryo.toBinary(sendAccepted);
  }

  @Benchmark
  public Object fromBinarySendAccepted() {
    return kryo.fromBinary(sendAcceptedBytes);
  }
}
