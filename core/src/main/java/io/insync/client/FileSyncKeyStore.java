package io.insync.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * A {@link SyncKeyStore} in a small text file holding the key in (unsigned) decimal. Writes go to a
 * temporary file that is then moved over the old one, so a crash leaves the old or the new
 * key, never a torn one.
 */
public final class FileSyncKeyStore implements SyncKeyStore {
  private final Path file;

  /**
   * A store in {@code file} (created on the first store; its directory must exist). Next to it
   * the store writes {@code <file>.tmp}.
   *
   * @throws NullPointerException if {@code file} is null
   */
  public FileSyncKeyStore(Path file) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
  }

  /**
   * The key in the file; 0 if there is no file or it is empty.
   *
   * @throws UncheckedIOException if the file exists but cannot be read or parsed
   */
  @Override
  public long load() {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (text.isEmpty()) {
        return 0;
      }
      // unsigned decimal; a signed negative value (written by an older version) is read as the same 64 bits
      return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NumberFormatException e) {
      throw new UncheckedIOException(new IOException("not a sync key in " + file, e));
    }
  }

  /**
   * Writes {@code key} to a temporary file and moves it over the file (atomically where the file
   * system can).
   *
   * @throws UncheckedIOException if the key cannot be written
   */
  @Override
  public void store(long key) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, Long.toUnsignedString(key), StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
