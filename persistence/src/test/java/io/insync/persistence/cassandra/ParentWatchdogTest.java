package io.insync.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ParentWatchdog} in real child JVMs, with a JDK-only classpath as the launcher builds it. */
class ParentWatchdogTest {

  @TempDir Path dir;
  private Path classes;

  @BeforeEach
  void copyClasses() {
    classes = dir.resolve("classes");
    ClassFiles.copy(ParentWatchdog.class, classes);
    ClassFiles.copy(SleepForever.class, classes);
    ClassFiles.copy(SpawnWatchedChild.class, classes);
  }

  @Test
  void runsTheMainClassWithItsArgumentsAndExitsWhenStdinCloses() throws Exception {
    Process child = new ProcessBuilder(java(), "-cp", classes.toString(),
        ParentWatchdog.class.getName(), SleepForever.class.getName(), "a", "b")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("started a b", out.readLine());
      assertFalse(child.waitFor(500, TimeUnit.MILLISECONDS), "child must keep running while stdin is open");

      child.getOutputStream().close();

      assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child must exit once stdin is closed");
      assertEquals(ParentWatchdog.PARENT_GONE_STATUS, child.exitValue());
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void childExitsWhenItsParentIsKilledWithSigkill() throws Exception {
    Path childErr = dir.resolve("child-stderr.txt");
    Process parent = new ProcessBuilder(java(), "-cp", classes.toString(),
        SpawnWatchedChild.class.getName(), childErr.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    Optional<ProcessHandle> child = Optional.empty();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
      long childPid = Long.parseLong(out.readLine().trim());
      child = ProcessHandle.of(childPid);
      assertTrue(child.isPresent() && child.get().isAlive(), "child must be running");

      parent.destroyForcibly(); // SIGKILL: no shutdown hook of the parent runs
      assertTrue(parent.waitFor(10, TimeUnit.SECONDS));

      assertTrue(waitForExit(child.get(), 20), "child must exit after its parent was killed");
      assertTrue(Files.readString(childErr).contains("the parent process is gone"));
    } finally {
      parent.destroyForcibly();
      child.ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static boolean waitForExit(ProcessHandle process, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return !process.isAlive();
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
