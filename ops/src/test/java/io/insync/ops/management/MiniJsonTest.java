package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MiniJsonTest {
  @Test
  void readsWhatPekkoManagementAnswers() {
    String members = "{\"leader\":\"pekko://insync@127.0.0.1:25520\",\"members\":[{\"node\":\"pekko://insync@127.0.0.1:25520\","
        + "\"nodeUid\":\"-42\",\"roles\":[\"dc-default\"],\"status\":\"Up\"}],\"oldest\":null,\"oldestPerRole\":{},"
        + "\"selfNode\":\"pekko://insync@127.0.0.1:25520\",\"unreachable\":[]}";
    Map<?, ?> m = (Map<?, ?>) MiniJson.parse(members);
    assertEquals("pekko://insync@127.0.0.1:25520", m.get("leader"));
    assertNull(m.get("oldest"));
    assertEquals(Map.of(), m.get("oldestPerRole"));
    Map<?, ?> first = (Map<?, ?>) ((List<?>) m.get("members")).get(0);
    assertEquals("Up", first.get("status"));
    assertEquals(List.of("dc-default"), first.get("roles"));
  }

  @Test
  void scalarsEscapesAndWhitespace() {
    assertEquals(List.of(1L, -2L, 2.5, 1e3, true, false, "a\"b\\c/\n\u00e9"),
        MiniJson.parse(" [ 1 , -2, 2.5, 1e3, true, false, \"a\\\"b\\\\c\\/\\n\\u00e9\" ] "));
    assertEquals(Map.of("regions", List.of(Map.of("shardId", "7", "numEntities", 3L))),
        MiniJson.parse("{\"regions\":[{\"shardId\":\"7\",\"numEntities\":3}]}"));
    assertEquals("x", MiniJson.parse("\"x\""));
  }

  @Test
  void refusesWhatIsNotJson() {
    for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "Not Healthy: x", "\"open", "{} x", "tru", "\"\\q\""}) {
      assertThrows(IllegalArgumentException.class, () -> MiniJson.parse(bad), bad);
    }
  }
}
