package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.examples.EchoBot;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code bin/insync example echo-bot} as a process of its own against a real node: every message
 * is answered exactly once while the bot runs, after it was stopped, after a SIGKILL in the
 * middle of a page, and after its stored key was lost (rewound to 0), each time resuming with
 * the same state directory. Replies are counted in the senders' inboxes, read with Sync from 0.
 */
@ExtendWith(CassandraExtension.class)
class EchoBotIT {
  static NodeProcess node;

  @BeforeAll
  static void startNode() throws Exception {
    node = new NodeProcess(CassandraExtension.host() + ":" + CassandraExtension.port(), "echo-bot").start();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void everyMessageIsAnsweredExactlyOnceAcrossStopsCrashesAndALostKey() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String botUser = "bot-" + run;
    Path state = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-nodes")), "echo-bot-state-");
    List<String> fromAlice = new ArrayList<>();
    List<String> fromBob = new ArrayList<>();
    try (TestDevice alice = new TestDevice("alice-" + run, "phone", node.tcpPort()).connect();
        TestDevice bob = new TestDevice("bob-" + run, "phone", node.tcpPort()).connect()) {
      BotProcess bot = new BotProcess(botUser, state, run).start();
      try {
        // running: answered to the sender, not to anyone else
        send(alice, botUser, fromAlice, "a", 3);
        send(bob, botUser, fromBob, "b", 2);
        awaitAnswered(alice, botUser, fromAlice);
        awaitAnswered(bob, botUser, fromBob);
        assertExactlyOnce(alice, botUser, fromAlice, "while running");
        assertExactlyOnce(bob, botUser, fromBob, "while running");

        // stopped (SIGTERM): what arrives meanwhile is answered after the restart
        bot.stop();
        send(alice, botUser, fromAlice, "a", 3);
        send(bob, botUser, fromBob, "b", 3);
        bot.start();
        awaitAnswered(alice, botUser, fromAlice);
        awaitAnswered(bob, botUser, fromBob);
        assertExactlyOnce(alice, botUser, fromAlice, "after a stop and a restart");
        assertExactlyOnce(bob, botUser, fromBob, "after a stop and a restart");

        // SIGKILL as soon as the first answer of a page of 20 is acked (the 20 arrived while the bot was
        // down, so they come in one page): the page is not acked, so the next run answers it again,
        // under the same client_msg_ids, and the server takes the repeats as retries
        bot.stop();
        send(alice, botUser, fromAlice, "burst", 20);
        long lastOfPage = latestSeq(botUser);
        bot.start();
        bot.awaitOutput("): burst ");
        bot.kill();
        int beforeKill = bot.count("): burst ");
        bot.start();
        awaitStoredKey(state, lastOfPage); // the new run is past the page: it answered what it had to
        awaitAnswered(alice, botUser, fromAlice);
        assertExactlyOnce(alice, botUser, fromAlice, "after a SIGKILL in the middle of a page");
        // more than 20 in the two runs: some answers were sent twice, and the server deduplicated them
        System.out.println("EchoBotIT: page of 20: " + beforeKill + " answered before the SIGKILL, "
            + bot.count("): burst ") + " after the restart");

        // the stored key lost (as if no key write of any answer had reached the disk): the bot answers
        // everything again, and the server takes every repeat as a retry of the first answer
        bot.stop();
        long keyBefore = storedKey(state);
        assertTrue(keyBefore > 0, "the bot stored its key: " + keyBefore);
        Files.writeString(state.resolve(EchoBot.KEY_FILE), "0", StandardCharsets.US_ASCII);
        bot.start();
        int all = fromAlice.size() + fromBob.size();
        bot.awaitAnsweredLines(all);
        awaitStoredKey(state, keyBefore);
        bot.stop();
        assertExactlyOnce(alice, botUser, fromAlice, "after the key was lost and everything re-answered");
        assertExactlyOnce(bob, botUser, fromBob, "after the key was lost and everything re-answered");
      } finally {
        bot.kill();
      }
    }
  }

  private static void send(TestDevice from, String to, List<String> sent, String tag, int n) throws Exception {
    for (CompletableFuture<SendAck> f : sendAsync(from, to, sent, tag, n)) f.get(30, TimeUnit.SECONDS);
  }

  private static List<CompletableFuture<SendAck>> sendAsync(TestDevice from, String to, List<String> sent, String tag,
      int n) {
    List<CompletableFuture<SendAck>> acks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String text = tag + " " + (sent.size() + 1);
      sent.add(text);
      acks.add(from.client.send(to, Envelopes.text(text)));
    }
    return acks;
  }

  /** "echo: TEXT" replies from the bot in {@code device}'s inbox, counted per original TEXT. */
  private static Map<String, Integer> answers(TestDevice device, String botUser) throws Exception {
    Map<String, Integer> counts = new TreeMap<>();
    long key = 0;
    while (true) {
      SyncResult page = device.client.sync(key, 0).get(20, TimeUnit.SECONDS);
      for (Item i : page.getItemsList()) {
        String text = i.getContent().getText();
        if (i.getFrom().equals(botUser)) {
          assertEquals(device.user, i.getTo(), "an answer goes to the sender: " + i);
          assertTrue(text.startsWith(EchoBot.PREFIX), "the bot only sends echoes: " + i);
          counts.merge(text.substring(EchoBot.PREFIX.length()), 1, Integer::sum);
        }
      }
      if (!page.getHasMore()) return counts;
      key = page.getSyncKey();
    }
  }

  private static void awaitAnswered(TestDevice device, String botUser, List<String> sent) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Integer> got = answers(device, botUser);
    while (!got.keySet().containsAll(sent) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      got = answers(device, botUser);
    }
    assertTrue(got.keySet().containsAll(sent), device.user + " sent " + sent + " but got answers to " + got);
  }

  private static void assertExactlyOnce(TestDevice device, String botUser, List<String> sent, String when)
      throws Exception {
    Map<String, Integer> expected = new TreeMap<>();
    sent.forEach(t -> expected.put(t, 1));
    assertEquals(expected, answers(device, botUser), device.user + "'s answers " + when);
  }

  /** The newest seq of {@code user}'s inbox, as another device of the user is told at Auth. */
  private static long latestSeq(String user) throws Exception {
    try (TestDevice observer = new TestDevice(user, "observer", node.tcpPort())) {
      return observer.client.connect().get(30, TimeUnit.SECONDS).getLatestSeq();
    }
  }

  private static long storedKey(Path state) throws IOException {
    return Long.parseUnsignedLong(Files.readString(state.resolve(EchoBot.KEY_FILE), StandardCharsets.US_ASCII).trim());
  }

  private static void awaitStoredKey(Path state, long atLeast) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (storedKey(state) < atLeast && System.nanoTime() < deadline) Thread.sleep(100);
    assertTrue(storedKey(state) >= atLeast, "the key came back to " + atLeast + ": " + storedKey(state));
  }

  /** The bot as {@code insync example echo-bot} in a JVM of its own; each start appends to one log. */
  static final class BotProcess {
    private static final Pattern ANSWERED = Pattern.compile("^echo-bot: answered #\\d+ ", Pattern.MULTILINE);

    private final String user;
    private final Path state;
    private final Path log;
    private Process process;
    private long mark;

    BotProcess(String user, Path state, String run) {
      this.user = user;
      this.state = state;
      this.log = Path.of("target", "it-nodes", "echo-bot-" + run + ".log");
    }

    BotProcess start() throws Exception {
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:+UseSerialGC", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
          "-cp", System.getProperty("java.class.path"), "io.insync.ops.cli.InsyncCli",
          "example", "echo-bot", "--user", user, "--server", "127.0.0.1:" + node.tcpPort(),
          "--state", state.toString(), "--secret", TokenSigner.DEV_SECRET);
      mark = Files.exists(log) ? Files.size(log) : 0;
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!output().contains("echo-bot: connected as " + user + "/echo-bot")) {
        if (!process.isAlive()) throw new AssertionError("the bot exited with " + process.exitValue() + ":\n" + output());
        if (System.nanoTime() > deadline) throw new AssertionError("the bot did not connect:\n" + output());
        Thread.sleep(50);
      }
      return this;
    }

    /** SIGTERM: the shutdown hook closes the bot. */
    void stop() throws Exception {
      process.destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the bot stops on SIGTERM");
    }

    /** SIGKILL: no shutdown hook, nothing flushed. */
    void kill() throws Exception {
      if (process != null && process.isAlive()) process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** "answered" lines of this run so far (repeats the server deduplicated included). */
    int answeredLines() throws IOException {
      Matcher m = ANSWERED.matcher(output());
      int n = 0;
      while (m.find()) n++;
      return n;
    }

    void awaitAnsweredLines(int n) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (answeredLines() < n && System.nanoTime() < deadline) Thread.sleep(20);
      assertTrue(answeredLines() >= n, "the bot answered " + answeredLines() + " of " + n + ":\n" + output());
    }

    /** Occurrences of {@code text} in this run's output. */
    int count(String text) throws IOException {
      String out = output();
      int n = 0;
      for (int i = out.indexOf(text); i >= 0; i = out.indexOf(text, i + 1)) n++;
      return n;
    }

    void awaitOutput(String text) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!output().contains(text) && System.nanoTime() < deadline) Thread.sleep(5);
      assertTrue(output().contains(text), "the bot never printed '" + text + "':\n" + output());
    }

    /** This run's output. */
    String output() throws IOException {
      if (!Files.exists(log)) return "";
      byte[] all = Files.readAllBytes(log);
      return new String(all, (int) Math.min(mark, all.length), (int) Math.max(0, all.length - mark), StandardCharsets.UTF_8);
    }
  }
}
