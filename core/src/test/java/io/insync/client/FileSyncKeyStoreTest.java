package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSyncKeyStoreTest {
  @Test
  void storesAndLoadsTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("alice.synckey");
    FileSyncKeyStore store = new FileSyncKeyStore(file);
    assertEquals(0, store.load(), "no file yet");
    store.store(42);
    assertEquals(42, new FileSyncKeyStore(file).load());
    store.store(43);
    assertEquals("43", Files.readString(file));
    assertEquals(43, store.load());
  }

  @Test
  void keysAreUnsigned64BitValues(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bob.synckey");
    FileSyncKeyStore store = new FileSyncKeyStore(file);
    store.store(Long.MIN_VALUE); // 2^63
    assertEquals("9223372036854775808", Files.readString(file), "written as the unsigned value");
    assertEquals(Long.MIN_VALUE, store.load());
    Files.writeString(file, "-9223372036854775807"); // how a signed writer put 2^63 + 1
    assertEquals(Long.MIN_VALUE + 1, store.load());
    store.store(-1);
    assertEquals("18446744073709551615", Files.readString(file));
    assertEquals(-1, store.load());
  }
}
