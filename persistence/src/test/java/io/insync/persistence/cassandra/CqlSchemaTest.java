package io.insync.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CqlSchemaTest {

  @Test
  void splitsTheScriptAndReplacesReplication() {
    List<String> statements = CqlSchema.statements("idc_east", 3);

    assertEquals(9, statements.size(), statements.toString());
    assertTrue(statements.stream().allMatch(s -> s.contains("IF NOT EXISTS")), statements.toString());
    assertTrue(statements.stream().noneMatch(s -> s.contains("--")), statements.toString());
    List<String> keyspaces = statements.stream().filter(s -> s.startsWith("CREATE KEYSPACE")).toList();
    assertEquals(2, keyspaces.size());
    for (String ks : keyspaces) {
      assertTrue(ks.contains("{'class':'NetworkTopologyStrategy','idc_east':3}"), ks);
      assertFalse(ks.contains("'dc1'"), ks);
    }
    for (String table : List.of("insync_journal.messages", "insync_journal.tag_views",
        "insync_journal.tag_write_progress", "insync_journal.tag_scanning", "insync_journal.metadata",
        "insync_journal.all_persistence_ids", "insync_snapshot.snapshots")) {
      assertTrue(statements.stream().anyMatch(s -> s.startsWith("CREATE TABLE IF NOT EXISTS " + table + " ")),
          table);
    }
  }

  @Test
  void replicatesInEveryDataCentreGivenInNameOrder() {
    List<String> keyspaces = CqlSchema.statements(java.util.Map.of("dc2", 3, "dc1", 2)).stream()
        .filter(s -> s.startsWith("CREATE KEYSPACE")).toList();
    assertEquals(2, keyspaces.size());
    for (String ks : keyspaces) assertTrue(ks.contains("{'class':'NetworkTopologyStrategy','dc1':2,'dc2':3}"), ks);
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> CqlSchema.statements(java.util.Map.of()));
    assertThrows(IllegalArgumentException.class, () -> CqlSchema.statements(java.util.Map.of("dc1", 3, "dc 2", 3)));
    assertThrows(IllegalArgumentException.class, () -> CqlSchema.statements("dc'1", 1));
    assertThrows(IllegalArgumentException.class, () -> CqlSchema.statements("dc1", 0));
  }
}
