package io.insync.persistence.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Copies a single compiled class into a classpath folder of its own. */
final class ClassFiles {

  private ClassFiles() {}

  /**
   * Writes the bytes of {@code type}'s class file under {@code root}, in the folders of its package,
   * so that {@code root} can be put on another JVM's classpath.
   *
   * @return the written file
   */
  static Path copy(Class<?> type, Path root) {
    String simpleFile = type.getSimpleName() + ".class";
    Path target = root.resolve(type.getName().replace('.', '/') + ".class");
    try (InputStream in = type.getResourceAsStream(simpleFile)) {
      if (in == null) {
        throw new IllegalStateException("class file of " + type.getName() + " not found as a resource");
      }
      Files.createDirectories(target.getParent());
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + type.getName() + " to " + root, e);
    }
  }
}
