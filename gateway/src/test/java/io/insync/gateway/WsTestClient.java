package io.insync.gateway;

import io.insync.protocol.Envelope;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bare blocking WebSocket client (RFC 6455, written for the tests on a plain socket so that it
 * can set a small receive buffer, stop reading, and send frames no well-behaved client sends:
 * text, fragments, oversized). Client frames are masked, as the RFC requires.
 */
final class WsTestClient extends TestClient {
  static final int OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9,
      OP_PONG = 0xA;
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final Socket socket = new Socket();
  private final DataInputStream in;
  private final OutputStream out;
  private int closeStatus = -1;
  private byte[] lastPong;

  WsTestClient(InetSocketAddress address, String path, int receiveBuffer) throws IOException {
    if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    String key = Base64.getEncoder().encodeToString(randomBytes(16));
    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = readHttpHead(in);
    if (!head.startsWith("HTTP/1.1 101")) throw new IOException("upgrade refused: " + head);
    String accept = Base64.getEncoder().encodeToString(sha1(key + GUID));
    if (!head.toLowerCase().contains("sec-websocket-accept: " + accept.toLowerCase())) {
      throw new IOException("wrong Sec-WebSocket-Accept in " + head);
    }
  }

  /** The HTTP status line and headers up to the empty line. */
  static String readHttpHead(DataInputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new EOFException("connection closed in the HTTP head: " + head);
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  @Override
  void send(Envelope e) throws IOException {
    write(e);
    flush();
  }

  @Override
  void write(Envelope e) throws IOException {
    writeFrame(true, OP_BINARY, e.toByteArray());
  }

  @Override
  void flush() throws IOException {
    out.flush();
  }

  @Override
  void sendRaw(byte[] frames) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(frames);
    while (b.remaining() >= 4) {
      byte[] body = new byte[b.getInt()];
      b.get(body);
      writeFrame(true, OP_BINARY, body);
    }
    flush();
  }

  /** Sends one raw frame (flushed). */
  void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
    writeFrame(fin, opcode, payload);
    flush();
  }

  private void writeFrame(boolean fin, int opcode, byte[] payload) throws IOException {
    out.write((fin ? 0x80 : 0) | opcode);
    int n = payload.length;
    if (n < 126) {
      out.write(0x80 | n);
    } else if (n < 65536) {
      out.write(0x80 | 126);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) out.write((int) ((long) n >>> shift));
    }
    byte[] mask = randomBytes(4);
    out.write(mask);
    byte[] masked = new byte[n];
    for (int i = 0; i < n; i++) masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    out.write(masked);
  }

  @Override
  Envelope read() throws IOException {
    while (true) {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      if ((b1 & 0x80) != 0) throw new IOException("the server masked a frame");
      long len = b1 & 0x7f;
      if (len == 126) len = in.readUnsignedShort();
      else if (len == 127) len = in.readLong();
      byte[] payload = new byte[Math.toIntExact(len)];
      in.readFully(payload);
      int opcode = b0 & 0x0f;
      switch (opcode) {
        case OP_BINARY -> {
          if ((b0 & 0x80) == 0) throw new IOException("the server fragmented a message");
          return Envelope.parseFrom(payload);
        }
        case OP_CLOSE -> {
          closeStatus = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
          throw new EOFException("close frame from the server, status " + closeStatus);
        }
        case OP_PING -> sendFrame(true, OP_PONG, payload);
        case OP_PONG -> lastPong = payload;
        default -> throw new IOException("unexpected frame from the server, opcode " + opcode);
      }
    }
  }

  /** Reads until the server's answer to a ping: true if it echoed {@code payload}. */
  boolean pingAnswered(byte[] payload) throws IOException {
    lastPong = null;
    sendFrame(true, OP_PING, payload);
    // a pong is not an Envelope: read() returns only for Envelopes, so wait for the pong by hand
    int b0 = in.readUnsignedByte();
    int len = in.readUnsignedByte() & 0x7f;
    byte[] got = new byte[len];
    in.readFully(got);
    return (b0 & 0x0f) == OP_PONG && java.util.Arrays.equals(payload, got);
  }

  /** True if the server sent a close frame (or just closed) and then closed the socket. */
  @Override
  boolean closedByServer() throws IOException {
    try {
      if (closeStatus < 0) {
        try {
          Envelope unexpected = read();
          return false; // still talking
        } catch (EOFException e) {
          // a close frame, or the socket ended
        }
      }
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  /** The status of the server's close frame; -1 before one arrived. */
  int closeStatus() {
    return closeStatus;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static byte[] sha1(String s) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
