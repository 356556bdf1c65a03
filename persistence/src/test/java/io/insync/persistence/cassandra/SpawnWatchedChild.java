package io.insync.persistence.cassandra;

import java.io.File;
import java.nio.file.Path;

/**
 * Test main class playing the parent: starts {@code ParentWatchdog SleepForever} as a child with a
 * stdin pipe it never closes, prints the child's pid and sleeps. The test then SIGKILLs this JVM.
 */
public final class SpawnWatchedChild {

  private SpawnWatchedChild() {}

  public static void main(String[] args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ParentWatchdog.class.getName(), SleepForever.class.getName())
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(new File(args[0]))
        .start();
    System.out.println(child.pid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
