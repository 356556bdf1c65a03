package io.insync.cluster.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for messages between live nodes ({@code ClusterMessage}), on Kryo with fixed
 * registration ids ({@link KryoRegistrations}). Unregistered classes are refused, so a message
 * type that was forgotten fails loudly in tests instead of silently falling back to something
 * slow or unsafe. Kryo instances are not thread-safe: each serialization borrows one from a pool.
 */
public final class KryoSerializer extends JSerializer {

  /** Fixed: nodes of one cluster must agree on it. */
  public static final int IDENTIFIER = 7302;

  private final Pool<Kryo> kryos;
  private final Pool<Output> outputs;

  public KryoSerializer(ExtendedActorSystem system) {
    ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.kryos = new Pool<>(true, false, 64) {
      @Override
      protected Kryo create() {
        return KryoRegistrations.newKryo(resolver);
      }
    };
    this.outputs = new Pool<>(true, false, 64) {
      @Override
      protected Output create() {
        return new Output(1024, 16 * 1024 * 1024);
      }
    };
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = kryos.obtain();
    Output out = outputs.obtain();
    try {
      out.reset();
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } finally {
      outputs.free(out);
      kryos.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    try {
      return kryo.readClassAndObject(new Input(bytes));
    } finally {
      kryos.free(kryo);
    }
  }
}
