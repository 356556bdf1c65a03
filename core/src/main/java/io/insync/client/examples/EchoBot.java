package io.insync.client.examples;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.FileSyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.client.ServerErrorException;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An example on the public SDK API only: a bot that answers every 1:1 text message it receives
 * with {@code "echo: <text>"} to its sender, exactly once, across restarts and crashes.
 *
 * <p>How exactly once works:
 * <ul>
 *   <li>The bot syncs by hand ({@link ClientOptions.Builder#autoSync(boolean) autoSync(false)}):
 *   it fetches a page, answers its messages, and only when every answer on the page is acked
 *   does it {@link InsyncClient#ack(long) ack} the page's key, which the {@link FileSyncKeyStore}
 *   in the state directory keeps. A restart resumes after that key: nothing acked is answered
 *   again, nothing unanswered is skipped.
 *   <li>A crash between an answer's ack and the key's write answers that page again after the
 *   restart, under the same {@code client_msg_id}: {@code "echo-" + seq} of the received item.
 *   The server deduplicates per (device, {@code client_msg_id}) and answers the repeat with the
 *   original ack, so the sender still gets one answer. Hence the bot must always run as the same
 *   device (the state directory records it and refuses another), and a re-answer must come
 *   within the server's dedup window (the user's last 10,000 sends).
 * </ul>
 *
 * <p>Skipped (never answered, but passed): the bot's own items (its answers are in its inbox
 * too), group items, receipts and other kinds, and non-text content. An answer the server
 * refuses for good ({@code BAD_REQUEST}, for example a text at the content limit that the prefix
 * pushes over it) is logged and skipped too, or the bot would stop at it forever.
 *
 * <p>Threading: the client's callbacks only wake a worker thread of the bot's own; the worker
 * does the blocking sync-answer-ack loop, one page at a time.
 *
 * <p>Run it with {@code bin/insync example echo-bot --user U}, or with {@link #main} (see there).
 */
public final class EchoBot implements AutoCloseable {
  /** What every answer starts with. */
  public static final String PREFIX = "echo: ";

  /** The file in the state directory that holds the sync key. */
  public static final String KEY_FILE = "sync-key";

  /** The file in the state directory that names the user and device the key belongs to. */
  public static final String IDENTITY_FILE = "identity";

  /** Without a Notify (one can be lost), the bot looks for new items this often. */
  private static final Duration POLL = Duration.ofSeconds(5);

  /** Send errors that say "this answer will never be taken": skip the item instead of stopping on it. */
  private static final Set<ErrorCode> UNANSWERABLE = Set.of(ErrorCode.BAD_REQUEST, ErrorCode.FORBIDDEN,
      ErrorCode.NOT_FOUND);

  private final Path stateDir;
  private final Consumer<String> log;
  private final InsyncClient client;
  private final ScheduledExecutorService worker;
  private final AtomicBoolean queued = new AtomicBoolean();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final CompletableFuture<AuthOk> connected;
  private volatile AuthOk session;
  private volatile boolean closed;
  /** The key after the last page answered (the client's own key follows it asynchronously). Worker only. */
  private long position;

  private EchoBot(ClientOptions.Builder connection, Path stateDir, Consumer<String> log) throws IOException {
    this.stateDir = stateDir;
    this.log = log;
    Files.createDirectories(stateDir);
    this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "echo-bot");
      t.setDaemon(true);
      return t;
    });
    this.client = InsyncClient.create(connection
        .syncKeyStore(new FileSyncKeyStore(stateDir.resolve(KEY_FILE)))
        .autoSync(false)
        .listener(new ClientListener() {
          @Override
          public void onConnected(AuthOk ok) {
            session = ok;
            log.accept("echo-bot: connected as " + ok.getUserId() + "/" + ok.getDeviceId() + ", answered up to #"
                + Long.toUnsignedString(client.syncKey()));
            wake();
          }

          @Override
          public void onNotify(Notify notify) {
            wake();
          }

          @Override
          public void onError(io.insync.protocol.Error error) {
            // these stop the client for good, on a live connection or at a reconnect's Auth: the bot
            // stops with it (off the event loop: stop() closes the client and waits for it)
            if (stopsTheClient(error)) {
              CompletableFuture.runAsync(() -> stop(new ServerErrorException(
                  "the client stopped (" + error.getCode() + ")", error)));
            }
          }
        })
        .build());
    this.position = client.syncKey();
    worker.scheduleWithFixedDelay(this::wake, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    this.connected = client.connect();
    connected.whenCompleteAsync((ok, err) -> {
      if (err != null) stop(err); // off the event loop, as in onError
    });
  }

  /**
   * Starts a bot: connects with {@code connection} (its addresses and token; the bot sets the sync
   * key store, the listener and {@code autoSync(false)} itself) and keeps its state in {@code
   * stateDir} (created if missing). Returns at once; see {@link #connected()}.
   *
   * @throws IOException if the state directory cannot be created
   */
  public static EchoBot start(ClientOptions.Builder connection, Path stateDir, Consumer<String> log) throws IOException {
    return new EchoBot(Objects.requireNonNull(connection, "connection"), Objects.requireNonNull(stateDir, "stateDir"),
        Objects.requireNonNull(log, "log"));
  }

  /** The first connect: fails as {@link InsyncClient#connect()} does. */
  public CompletableFuture<AuthOk> connected() {
    return connected;
  }

  /**
   * Completes when the bot stops: normally on {@link #close()}; exceptionally when the first
   * connect failed, the client stopped for good ({@code AUTH_FAILED}, {@code SESSION_REPLACED},
   * {@code LOGGED_IN_ELSEWHERE}), or the state directory belongs to another user or device or to
   * another inbox. The bot is closed then.
   */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Answers acked so far in this run (repeats that the server deduplicated included). */
  public long answered() {
    return answered.get();
  }

  /** Items passed without an answer in this run (see the class comment). */
  public long skipped() {
    return skipped.get();
  }

  /** Stops the bot. Answers not yet acked are answered again (deduplicated) by the next run. */
  @Override
  public void close() {
    closed = true;
    client.close(); // fails the outstanding sync and sends: the page in progress is not acked
    worker.shutdownNow();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopped.complete(null);
  }

  private void stop(Throwable why) {
    if (stopped.isDone()) return;
    log.accept("echo-bot: stopped: " + rootMessage(why));
    closed = true;
    client.close();
    worker.shutdownNow(); // maybe this very thread: it is about to return anyway
    stopped.completeExceptionally(why);
  }

  /** The errors after which the client stops and does not reconnect (see InsyncClient). */
  private static boolean stopsTheClient(io.insync.protocol.Error error) {
    ErrorCode code = error.getCode();
    return code == ErrorCode.AUTH_FAILED || code == ErrorCode.SESSION_REPLACED
        || code == ErrorCode.LOGGED_IN_ELSEWHERE || (code == ErrorCode.LIMIT_EXCEEDED && error.getFatal());
  }

  /** Asks the worker for a round; rounds asked for while one waits to run are merged into it. */
  private void wake() {
    if (closed || !queued.compareAndSet(false, true)) return;
    try {
      worker.execute(() -> {
        queued.set(false);
        round();
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** Answers pages until the inbox is done or something fails (the next wake-up tries again). */
  private void round() {
    AuthOk ok = session;
    if (closed || ok == null || !client.isConnected()) return;
    try {
      checkIdentity(ok);
      long from = Long.compareUnsigned(client.syncKey(), position) > 0 ? client.syncKey() : position;
      while (!closed) {
        SyncResult page = client.sync(from, 0).get(); // BAD_REQUEST here: see the catch below
        List<CompletableFuture<Void>> answers = new ArrayList<>();
        for (Item item : page.getItemsList()) {
          if (answerable(item, ok.getUserId())) {
            answers.add(answer(item));
          } else {
            skipped.incrementAndGet();
          }
        }
        // the key moves past the page only once every answer on it is acked (or refused for good)
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get();
        if (Long.compareUnsigned(page.getSyncKey(), from) > 0) {
          client.ack(page.getSyncKey());
          position = page.getSyncKey();
          from = position;
        }
        if (!page.getHasMore()) return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // close()
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ServerErrorException se && se.code() == ErrorCode.BAD_REQUEST) {
        // the only BAD_REQUEST to a Sync: the stored key is ahead of this inbox
        stop(new IllegalStateException("the sync key in " + stateDir + " does not belong to this inbox ("
            + se.getMessage() + "); give the bot a state directory of its own", se));
      } else if (!closed) {
        log.accept("echo-bot: will try again: " + rootMessage(e));
      }
    } catch (IOException | IllegalStateException e) {
      stop(e); // the state directory is not this bot's, or cannot be used
    } catch (RuntimeException e) {
      log.accept("echo-bot: will try again: " + rootMessage(e));
    }
  }

  private static boolean answerable(Item item, String self) {
    String type = item.getContent().getType();
    return item.getKind() == ItemKind.MESSAGE
        && item.getGroup().isEmpty()
        && !item.getFrom().equals(self)
        && (type.isEmpty() || type.equals("text"))
        && !item.getContent().getText().isEmpty();
  }

  /**
   * Answers one item. Completes normally when the answer is acked or refused for good; fails
   * (and so keeps the page unacked) when it is not known to be taken: connection lost, timeout,
   * the client stopped.
   */
  private CompletableFuture<Void> answer(Item item) {
    String seq = Long.toUnsignedString(item.getSeq());
    String id = "echo-" + seq; // the same id on every run: the server takes a repeat as a retry
    Content reply = Content.newBuilder().setText(PREFIX + item.getContent().getText()).build();
    return client.send(id, item.getFrom(), reply).handle((SendAck ack, Throwable err) -> {
      if (err == null) {
        answered.incrementAndGet();
        String text = item.getContent().getText();
        log.accept("echo-bot: answered #" + seq + " from " + item.getFrom() + " (" + id + ", ack seq "
            + Long.toUnsignedString(ack.getSeq()) + "): " + (text.length() > 40 ? text.substring(0, 40) + "..." : text));
        return null;
      }
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof ServerErrorException se && UNANSWERABLE.contains(se.code())) {
        skipped.incrementAndGet();
        log.accept("echo-bot: skipped #" + seq + " from " + item.getFrom() + ": " + se.getMessage());
        return null;
      }
      throw new CompletionException(cause);
    });
  }

  /**
   * The key in the state directory is only worth something for the device that acked it: another
   * device's answers would not be deduplicated against this one's. Record who uses the directory
   * and refuse anyone else.
   */
  private void checkIdentity(AuthOk ok) throws IOException {
    Path file = stateDir.resolve(IDENTITY_FILE);
    String me = ok.getUserId() + "/" + ok.getDeviceId();
    if (Files.exists(file)) {
      String recorded = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!recorded.equals(me)) {
        throw new IllegalStateException(stateDir + " belongs to " + recorded + ", not to " + me);
      }
    } else {
      Files.writeString(file, me + "\n", StandardCharsets.UTF_8);
    }
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  /**
   * {@code java -cp insync.jar io.insync.client.examples.EchoBot --server HOST:PORT --state DIR
   * --token TOKEN} (the token also from {@code $INSYNC_TOKEN}; {@code bin/insync token --user U
   * --device echo-bot} prints one). Runs until killed; exits 1 if the bot stops by itself.
   */
  public static void main(String[] args) throws Exception {
    List<InetSocketAddress> servers = new ArrayList<>();
    Path state = null;
    String token = System.getenv("INSYNC_TOKEN");
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--server" -> {
          for (String s : Objects.requireNonNull(value, "--server needs HOST:PORT").split(",")) {
            int colon = s.lastIndexOf(':');
            servers.add(InetSocketAddress.createUnresolved(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1))));
          }
          i++;
        }
        case "--state" -> {
          state = Path.of(Objects.requireNonNull(value, "--state needs a directory"));
          i++;
        }
        case "--token" -> {
          token = value;
          i++;
        }
        default -> {
          System.err.println("usage: EchoBot [--server HOST:PORT[,...]] --state DIR [--token TOKEN | $INSYNC_TOKEN]");
          System.exit(2);
        }
      }
    }
    if (state == null || token == null || token.isEmpty()) {
      System.err.println("EchoBot: --state and a token (--token or $INSYNC_TOKEN) are required");
      System.exit(2);
    }
    if (servers.isEmpty()) servers.add(InetSocketAddress.createUnresolved("127.0.0.1", 7400));
    EchoBot bot = start(ClientOptions.builder().addresses(servers).token(token), state, System.out::println);
    Runtime.getRuntime().addShutdownHook(new Thread(bot::close, "echo-bot-stop"));
    try {
      bot.stopped().get();
    } catch (ExecutionException e) {
      System.exit(1); // stop() printed why
    }
  }
}
