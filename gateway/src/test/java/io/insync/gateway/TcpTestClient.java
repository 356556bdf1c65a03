package io.insync.gateway;

import io.insync.core.codec.FrameCodec;
import io.insync.protocol.Envelope;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A bare blocking socket that speaks (or deliberately mis-speaks) the TCP frame protocol. */
final class TcpTestClient extends TestClient {
  private final Socket socket = new Socket();
  private final DataInputStream in;
  private final OutputStream out;

  /** {@code receiveBuffer} > 0 sets a small socket receive buffer (before connecting). */
  TcpTestClient(InetSocketAddress address, int receiveBuffer) throws IOException {
    if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
  }

  @Override
  void send(Envelope e) throws IOException {
    out.write(FrameCodec.encodeToBytes(e));
    out.flush();
  }

  @Override
  void write(Envelope e) throws IOException {
    out.write(FrameCodec.encodeToBytes(e));
  }

  @Override
  void flush() throws IOException {
    out.flush();
  }

  @Override
  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  @Override
  Envelope read() throws IOException {
    int len = in.readInt();
    byte[] body = new byte[len];
    in.readFully(body);
    return Envelope.parseFrom(body);
  }

  @Override
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
