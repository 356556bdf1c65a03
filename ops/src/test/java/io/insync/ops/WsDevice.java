package io.insync.ops;

import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A device on the WebSocket transport, with the JDK's own client (java.net.http.WebSocket), as a
 * browser would talk: each Envelope one binary message, no length prefix, no SDK.
 */
final class WsDevice implements AutoCloseable {
  final String user;
  final String device;
  private final WebSocket ws;
  private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
  private final AtomicLong requestIds = new AtomicLong(1);

  WsDevice(String user, String device, int wsPort) throws Exception {
    this.user = user;
    this.device = device;
    this.ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create("ws://127.0.0.1:" + wsPort + "/sync"), new Listener())
        .get(30, TimeUnit.SECONDS);
  }

  /** Sends Auth and waits for AuthOk. */
  WsDevice authenticate() throws Exception {
    String token = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(user, device, Instant.now().plus(Duration.ofHours(1)));
    long id = nextId();
    send(Envelopes.auth(id, token, "ws-it"));
    Envelope ok = await(e -> e.getRequestId() == id, Duration.ofSeconds(30));
    if (!ok.hasAuthOk()) throw new AssertionError("expected AuthOk, got " + ok);
    return this;
  }

  long nextId() {
    return requestIds.getAndIncrement();
  }

  void send(Envelope e) throws Exception {
    ws.sendBinary(ByteBuffer.wrap(e.toByteArray()), true).get(10, TimeUnit.SECONDS);
  }

  /** Sends {@code request} and waits for the answer with its request id. */
  Envelope call(Envelope request) throws Exception {
    send(request);
    return await(e -> e.getRequestId() == request.getRequestId(), Duration.ofSeconds(30));
  }

  /** The first received Envelope matching {@code which} (earlier ones that do not match are dropped). */
  Envelope await(Predicate<Envelope> which, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Envelope e = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
      if (e == null) throw new AssertionError(user + "/" + device + ": nothing matching within " + timeout);
      if (which.test(e)) return e;
    }
  }

  @Override
  public void close() {
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
    ws.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream parts = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      parts.writeBytes(chunk);
      if (last) {
        try {
          received.add(Envelope.parseFrom(parts.toByteArray()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new IllegalStateException("the server sent a binary message that is not an Envelope", e);
        } finally {
          parts.reset();
        }
      }
      webSocket.request(1);
      return null;
    }
  }
}
