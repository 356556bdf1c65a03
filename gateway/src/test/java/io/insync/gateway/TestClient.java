package io.insync.gateway;

import io.insync.protocol.Envelope;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A bare blocking client that speaks (or deliberately mis-speaks) the SYNC protocol over one
 * transport: {@link TcpTestClient} or {@link WsTestClient}. The suites use only this, so they
 * run unchanged over both.
 */
abstract class TestClient implements AutoCloseable {

  /** Connects over {@code transport}; {@code receiveBuffer} > 0 sets a small socket receive buffer. */
  static TestClient open(Transport transport, InetSocketAddress address, String path, int receiveBuffer)
      throws IOException {
    return switch (transport) {
      case TCP -> new TcpTestClient(address, receiveBuffer);
      case WS -> new WsTestClient(address, path, receiveBuffer);
    };
  }

  abstract void send(Envelope e) throws IOException;

  /** Writes without flushing (for pipelining many frames at once); {@link #flush()} after. */
  abstract void write(Envelope e) throws IOException;

  abstract void flush() throws IOException;

  /**
   * Sends {@code frames}: one or more frames in the TCP format (4-byte big-endian length, body).
   * Over WebSocket each body becomes one binary message (the length prefix is not sent).
   */
  abstract void sendRaw(byte[] frames) throws IOException;

  /** The next Envelope from the server (blocks up to the read timeout). */
  abstract Envelope read() throws IOException;

  /** True if the server closed the connection within the read timeout. */
  abstract boolean closedByServer() throws IOException;

  @Override
  public abstract void close() throws IOException;
}
