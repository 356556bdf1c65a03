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
}
