package io.insync.loadtest;

import io.insync.core.auth.InvalidTokenException;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Heartbeat;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory stand-in for an insync node's WebSocket endpoint ({@code /sync}, one binary message = one
 * Envelope), just enough of the protocol for the scenarios: Auth (real token check), Send (into the sender's
 * and the recipient's inbox), Sync (pages of at most 200 or max_items), Ack, Heartbeat. A {@link Fault} makes
 * it answer wrongly on purpose, to show that the scenarios' checks fail the run.
 */
final class FakeSyncServer implements AutoCloseable {
  enum Fault {
    NONE,
    /** every 3rd SendAck names another client_msg_id */
    WRONG_ACK_ID,
    /** a Sync page leaves out the 2nd item it should carry (a gap) */
    SYNC_GAP,
    /** a heartbeat answer reports a latest_seq one too high */
    WRONG_HEARTBEAT
  }

  private final TokenSigner signer;
  private final Fault fault;
  private final Map<String, List<Item>> inboxes = new ConcurrentHashMap<>();
  private final AtomicInteger acks = new AtomicInteger();
  private final EventLoopGroup group = new NioEventLoopGroup(2);
  private final Channel server;

  FakeSyncServer(String secret, Fault fault) throws InterruptedException {
    this.signer = TokenSigner.fromSecret(secret);
    this.fault = fault;
    this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new WebSocketServerProtocolHandler("/sync"), new Session());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private List<Item> inbox(String user) {
    return inboxes.computeIfAbsent(user, u -> new ArrayList<>());
  }

  private final class Session extends SimpleChannelInboundHandler<BinaryWebSocketFrame> {
    private String user;
    private String device;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, BinaryWebSocketFrame frame) throws Exception {
      Envelope in = Envelope.parseFrom(ByteBufUtil.getBytes(frame.content()));
      Envelope out = answer(in);
      if (out != null) {
        ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(out.toByteArray())));
      }
    }

    private Envelope answer(Envelope in) {
      long rid = in.getRequestId();
      if (in.hasAuth()) {
        try {
          TokenSigner.Claims claims = signer.verify(in.getAuth().getToken(), Instant.now());
          user = claims.user();
          device = claims.device();
        } catch (InvalidTokenException e) {
          return Envelopes.error(rid, ErrorCode.AUTH_FAILED, e.getMessage(), 0, true);
        }
        return Envelope.newBuilder().setRequestId(rid).setAuthOk(AuthOk.newBuilder().setUserId(user)
            .setDeviceId(device).setLatestSeq(latest(user)).setHeartbeatSeconds(1)).build();
      }
      if (user == null) return Envelopes.error(rid, ErrorCode.UNAUTHENTICATED, "auth first", 0, false);
      if (in.hasSend()) {
        var send = in.getSend();
        long seq;
        synchronized (inboxes) {
          seq = append(user, send);
          if (!send.getTo().equals(user)) append(send.getTo(), send);
        }
        String id = fault == Fault.WRONG_ACK_ID && acks.incrementAndGet() % 3 == 0
            ? send.getClientMsgId() + "-other" : send.getClientMsgId();
        return Envelope.newBuilder().setRequestId(rid).setSendAck(SendAck.newBuilder().setClientMsgId(id)
            .setSeq(seq).setServerTs(System.currentTimeMillis())).build();
      }
      if (in.hasSync()) {
        long key = in.getSync().getSyncKey();
        int max = in.getSync().getMaxItems() == 0 ? 200 : Math.min(200, in.getSync().getMaxItems());
        SyncResult.Builder page = SyncResult.newBuilder();
        synchronized (inboxes) {
          List<Item> items = inbox(user);
          if (key > items.size()) return Envelopes.error(rid, ErrorCode.BAD_REQUEST, "sync key ahead", 0, false);
          int end = (int) Math.min(items.size(), key + max);
          for (int i = (int) key; i < end; i++) {
            if (fault == Fault.SYNC_GAP && i == key + 1) continue;
            page.addItems(items.get(i));
          }
          page.setSyncKey(end).setHasMore(end < items.size());
        }
        return Envelope.newBuilder().setRequestId(rid).setSyncResult(page).build();
      }
      if (in.hasHeartbeat()) {
        long latest = latest(user) + (fault == Fault.WRONG_HEARTBEAT ? 1 : 0);
        return Envelope.newBuilder().setRequestId(rid).setHeartbeat(Heartbeat.newBuilder().setLatestSeq(latest)).build();
      }
      if (in.hasAck()) return null;
      return Envelopes.unsupported(in);
    }

    private long append(String owner, io.insync.protocol.Send send) {
      List<Item> items = inbox(owner);
      long seq = items.size() + 1;
      items.add(Item.newBuilder().setSeq(seq).setFrom(user).setTo(send.getTo()).setFromDevice(device)
          .setClientMsgId(send.getClientMsgId()).setServerTs(System.currentTimeMillis())
          .setContent(send.getContent()).build());
      return seq;
    }

    private long latest(String owner) {
      synchronized (inboxes) {
        return inbox(owner).size();
      }
    }
  }
}
