package io.insync.ops;

import io.insync.core.codec.FrameCodec;
import io.insync.protocol.Envelope;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A bare socket speaking (or deliberately mis-speaking) the frame protocol, for tests. */
final class RawConnection implements AutoCloseable {
  private final Socket socket = new Socket();
  private final DataInputStream in;
  private final OutputStream out;

  RawConnection(int port) throws IOException {
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  void send(Envelope e) throws IOException {
    out.write(FrameCodec.encodeToBytes(e));
    out.flush();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  Envelope read() throws IOException {
    int len = in.readInt();
    byte[] body = new byte[len];
    in.readFully(body);
    return Envelope.parseFrom(body);
  }

  /** True if the server closed the connection (EOF) within the socket timeout. */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (EOFException | java.net.SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
