package io.insync.ops;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.insync.protocol.Item;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A device of a user, through the real client SDK, recording every item it is given. */
final class TestDevice implements AutoCloseable {
  final String user;
  final String device;
  final InsyncClient client;
  private final List<Item> items = new CopyOnWriteArrayList<>();
  private final List<io.insync.protocol.Error> errors = new CopyOnWriteArrayList<>();

  TestDevice(String user, String device, int... ports) {
    this(user, device, "", ports);
  }

  /** A device that names its platform in Auth (login policies look at it). */
  TestDevice(String user, String device, String platform, int... ports) {
    this.user = user;
    this.device = device;
    ClientOptions.Builder b = ClientOptions.builder()
        .token(TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(user, device, Instant.now().plus(Duration.ofHours(1))))
        .syncKeyStore(new InMemorySyncKeyStore())
        .requestTimeout(Duration.ofSeconds(5))
        .sendRetryTimeout(Duration.ofSeconds(120))
        .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
        .platform(platform)
        .listener(new ClientListener() {
          @Override
          public void onItems(List<Item> batch) {
            items.addAll(batch);
          }

          @Override
          public void onError(io.insync.protocol.Error error) {
            errors.add(error);
          }
        });
    for (int p : ports) b.address("127.0.0.1", p);
    this.client = InsyncClient.create(b.build());
  }

  TestDevice connect() throws Exception {
    client.connect().get(30, java.util.concurrent.TimeUnit.SECONDS);
    return this;
  }

  List<Item> items() {
    return new ArrayList<>(items);
  }

  /** Every Error the server sent this device (answers to requests and pushes). */
  List<io.insync.protocol.Error> errors() {
    return new ArrayList<>(errors);
  }

  /** Waits until the server sent an Error with {@code code}; returns it. */
  io.insync.protocol.Error awaitError(io.insync.protocol.ErrorCode code, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (io.insync.protocol.Error e : errors) if (e.getCode() == code) return e;
      Thread.sleep(20);
    }
    throw new AssertionError(user + "/" + device + " got no " + code + ", errors: " + errors);
  }

  /** Waits until at least n items arrived; returns them. */
  List<Item> awaitItems(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (items.size() < n && System.nanoTime() < deadline) Thread.sleep(20);
    if (items.size() < n) {
      throw new AssertionError(user + "/" + device + " got " + items.size() + " items, expected " + n + ": " + items);
    }
    return items();
  }

  @Override
  public void close() {
    client.close();
  }
}
