package io.insync.client.guide;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.ConnectionLostException;
import io.insync.client.FileSyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.client.ServerErrorException;
import io.insync.client.SyncKeyStore;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.ProtocolException;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.DeviceInfo;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The code shown in docs/sdk.md. Each region between {@code // [snippet:NAME]} and {@code //
 * [end:NAME]} appears in the guide exactly as here (SdkGuideTest compares them), and SdkGuideTest
 * runs the methods against a ScriptedServer. The class sits in a package of its own so that it
 * compiles against the SDK's public API only, as an application's code does.
 */
public final class SdkGuideSnippets {
  private SdkGuideSnippets() {}

  /** The application's own storage, which the snippets assume (a database in a real app). */
  public interface Messages {
    void save(Item item);

    void receipt(String peer, long upTo);

    /** Items and key together (one transaction in a real database). */
    void saveAll(List<Item> items, long key);

    /** Drops every item and sets the key back to 0. */
    void clear();

    long loadKey();

    void saveKey(long key);
  }

  /** The application's record of messages it sent and has no ack for yet. */
  public interface Outbox {
    record Entry(String id, String to, Content content) {}

    void put(String id, String to, Content content);

    void acked(String id, long seq);

    void failed(String id, Next next);

    List<Entry> unacked();
  }

  public static String issueToken(String secret, String user, String device) {
    // [snippet:token]
    TokenSigner signer = TokenSigner.fromSecret(secret);  // the gateways' insync.gateway.token-secret
    String token = signer.sign(user, device, Instant.now().plus(Duration.ofDays(7)));
    // [end:token]
    return token;
  }

  public static InsyncClient connect(InetSocketAddress gateway1, InetSocketAddress gateway2,
      Supplier<String> tokens, Path dataDir, ClientListener listener) throws Exception {
    // [snippet:connect]
    ClientOptions options = ClientOptions.builder()
        .address(gateway1)                 // or .address("gw1.example.com", 7400)
        .address(gateway2)                 // tried in turn, starting at a random one
        .tokenSupplier(tokens)             // asked before every authentication; must not block
        .syncKeyStore(new FileSyncKeyStore(dataDir.resolve("sync-key")))  // one per user and device
        .listener(listener)
        .platform("desktop")
        .build();
    InsyncClient client = InsyncClient.create(options);
    AuthOk ok = client.connect().get(40, TimeUnit.SECONDS);  // keeps trying for 30 s by default
    System.out.println("signed in as " + ok.getUserId() + "/" + ok.getDeviceId());
    // [end:connect]
    return client;
  }

  public static CompletableFuture<SendAck> send(InsyncClient client, Outbox outbox, String to, String text) {
    // [snippet:send]
    String id = UUID.randomUUID().toString();
    Content content = Content.newBuilder().setText(text).build();
    outbox.put(id, to, content);                   // first, so that a restart can send it again
    CompletableFuture<SendAck> sent = client.send(id, to, content);
    sent.whenComplete((ack, failure) -> {          // on the client's event loop: be quick
      if (failure == null) {
        outbox.acked(id, ack.getSeq());            // durable in the recipient's inbox
      } else {
        outbox.failed(id, whatNext(failure));
      }
    });
    // [end:send]
    return sent;
  }

  // [snippet:send-errors]
  /** What the application does with a message whose send failed. */
  public enum Next { RESEND_SAME_ID, SIGN_IN_AGAIN, FIX_THE_MESSAGE, GIVE_UP }

  public static Next whatNext(Throwable failure) {
    Throwable cause = failure instanceof CompletionException || failure instanceof ExecutionException
        ? failure.getCause() : failure;
    if (cause instanceof TimeoutException || cause instanceof ConnectionLostException) {
      return Next.RESEND_SAME_ID;   // not acked within sendRetryTimeout, or the client was closed
    }
    if (cause instanceof ServerErrorException e) {
      return switch (e.code()) {
        // the client stopped (bad token, device removed or logged out, too many devices)
        case AUTH_FAILED, SESSION_REPLACED, LOGGED_IN_ELSEWHERE, LIMIT_EXCEEDED -> Next.SIGN_IN_AGAIN;
        case BAD_REQUEST -> Next.FIX_THE_MESSAGE;   // content over 64 KiB, an invalid recipient id
        case FORBIDDEN, NOT_FOUND -> Next.GIVE_UP;  // group posts: not a member, no such group
        default -> Next.RESEND_SAME_ID;             // INTERNAL or a newer code: later, with backoff
      };
    }
    if (cause instanceof ProtocolException) {
      return Next.FIX_THE_MESSAGE;  // FRAME_TOO_LARGE: bigger than ClientOptions.maxFrameBytes
    }
    return Next.GIVE_UP;            // a bug: report it
  }
  // [end:send-errors]

  public static void resend(InsyncClient client, Outbox outbox) {
    // [snippet:resend]
    for (Outbox.Entry e : outbox.unacked()) {      // left from the last run
      client.send(e.id(), e.to(), e.content())     // the same id: the server stores it once
          .whenComplete((ack, failure) -> {
            if (failure == null) {
              outbox.acked(e.id(), ack.getSeq());
            } else {
              outbox.failed(e.id(), whatNext(failure));
            }
          });
    }
    // [end:resend]
  }

  public static ClientListener listener(Messages messages, AtomicReference<String> status) {
    // [snippet:listener]
    ClientListener listener = new ClientListener() {
      @Override
      public void onItems(List<Item> items) {      // seq order, each seq once; the key is stored after this
        for (Item item : items) {
          switch (item.getKind()) {
            case MESSAGE -> messages.save(item);   // getFrom(), getContent(), getGroup(), getSeq()
            case DELIVERY_RECEIPT, READ_RECEIPT -> messages.receipt(item.getFrom(), item.getReceiptUpTo());
            default -> { }                         // group events and counts: docs/protocol.md
          }
        }
      }

      @Override
      public void onSyncReset(long staleKey) {     // our key is not this inbox's: all items come again
        messages.clear();
      }

      @Override
      public void onConnected(AuthOk ok) {
        status.set("online");
      }

      @Override
      public void onDisconnected(Throwable cause) {
        if (cause == null) {
          status.set("closed");                    // close() was called
        } else if (whatNext(cause) == Next.SIGN_IN_AGAIN) {
          status.set("signed out");                // the client stopped: fix the cause, then connect()
        } else {
          status.set("reconnecting");              // it reconnects by itself
        }
      }
    };
    // [end:listener]
    return listener;
  }

  // [snippet:key-store]
  /** Keeps the sync key in the application's database, next to the messages. */
  public static final class DatabaseKeyStore implements SyncKeyStore {
    private final Messages messages;

    public DatabaseKeyStore(Messages messages) {
      this.messages = messages;
    }

    @Override
    public long load() {                           // once, when the client is created
      return messages.loadKey();
    }

    @Override
    public void store(long key) {                  // on the event loop, whenever the key moves: be quick
      messages.saveKey(key);
    }
  }
  // [end:key-store]

  // [snippet:manual-sync]
  /** Syncs on a thread of its own, so saving may take its time; acks only what it saved. */
  public static final class Puller implements ClientListener, AutoCloseable {
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor();
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Messages messages;
    private volatile InsyncClient client;

    public Puller(Messages messages) {
      this.messages = messages;
    }

    /** Call before client.connect(); the client is built with autoSync(false) and this listener. */
    public void start(InsyncClient client) {
      this.client = client;
      worker.scheduleWithFixedDelay(this::pullSoon, 30, 30, TimeUnit.SECONDS);  // in case a Notify was lost
    }

    @Override
    public void onConnected(AuthOk ok) {
      pullSoon();
    }

    @Override
    public void onNotify(Notify notify) {
      pullSoon();
    }

    private void pullSoon() {
      if (queued.compareAndSet(false, true)) {
        worker.execute(this::pull);
      }
    }

    private void pull() {
      queued.set(false);
      try {
        long key = messages.loadKey();
        SyncResult page;
        do {
          page = client.sync(key, 100, null, null, null).get(30, TimeUnit.SECONDS);  // no filter: the inbox
          messages.saveAll(page.getItemsList(), page.getSyncKey());  // may block: not the event loop
          key = page.getSyncKey();
          client.ack(key);                         // only now may the server count them delivered
        } while (page.getHasMore());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ServerErrorException se && se.code() == ErrorCode.BAD_REQUEST) {
          messages.clear();                        // our key is ahead of this inbox: start over from 0
          pullSoon();
        }                                          // else not connected: onConnected pulls again
      } catch (TimeoutException e) {
        pullSoon();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      worker.shutdownNow();
    }
  }
  // [end:manual-sync]

  public static void devices(InsyncClient client) throws Exception {
    // [snippet:devices]
    for (DeviceInfo d : client.listDevices().get(10, TimeUnit.SECONDS)) {
      System.out.println(d.getDevice() + " " + d.getPlatform() + (d.getOnline() ? " online" : ""));
    }
    client.removeDevice("old-tablet").get(10, TimeUnit.SECONDS);  // its token is refused from now on
    // [end:devices]
  }

  public static void sharedLoop(InetSocketAddress gateway, List<String> tokens) {
    // [snippet:shared-loop]
    EventLoopGroup loops = new NioEventLoopGroup(4, new DefaultThreadFactory("chat-io", true));
    List<InsyncClient> clients = new ArrayList<>();
    for (String token : tokens) {
      clients.add(InsyncClient.create(ClientOptions.builder()
          .address(gateway)
          .token(token)
          .eventLoopGroup(loops)                   // each client is pinned to one of the 4 threads
          .build()));
    }
    // ... at the end, the clients first, then the group (a client never shuts a shared group down)
    clients.forEach(InsyncClient::close);
    loops.shutdownGracefully();
    // [end:shared-loop]
  }

  public static void close(InsyncClient client) {
    // [snippet:close]
    client.close();  // fails what is outstanding with ConnectionLostException; stops reconnecting
    // [end:close]
  }
}
