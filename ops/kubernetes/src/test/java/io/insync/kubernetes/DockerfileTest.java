package io.insync.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile, read as text (no Docker engine here): two stages, a JRE 17 at the end, an unprivileged user,
 * the ports the node listens on, and the Kanela agent where the Deployment's -javaagent looks for it, taken
 * from the jar under the name the jar really gives it.
 */
class DockerfileTest {
  static final Path DOCKERFILE = Manifests.K8S.getParent().resolve("Dockerfile");
  static final String KANELA_IN_IMAGE = "/opt/insync/kanela-agent.jar";
  static final long IMAGE_UID = 10001;

  @Test
  void buildsWithMavenAndRunsOnAJre17AsAnUnprivilegedUser() throws Exception {
    List<String> lines = instructions();
    List<String> from = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertEquals(2, from.size(), "two stages: " + from);
    assertTrue(from.get(0).matches("FROM maven:[^ ]*temurin-17 AS build"), from.get(0));
    assertEquals("FROM eclipse-temurin:17-jre", from.get(1));
    String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    assertEquals("USER " + IMAGE_UID + ":" + IMAGE_UID, user, "numeric, so runAsNonRoot can check it");
    assertTrue(lines.indexOf(user) > lines.indexOf(from.get(1)), "the user of the final stage");
    assertTrue(lines.contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/insync/insync.jar\"]"));
    assertTrue(lines.contains("CMD [\"node\"]"));
  }

  @Test
  void exposesThePortsTheNodeListensOnByDefault() throws Exception {
    var node = NodeConfig.effective(java.util.Map.of(), "");
    Set<Integer> expected = new TreeSet<>(List.of(node.getInt("insync.gateway.port"), node.getInt("insync.gateway.websocket.port"),
        node.getInt("pekko.management.http.port"), node.getInt("insync.metrics.port"), node.getInt("pekko.remote.artery.canonical.port")));
    Set<Integer> exposed = new TreeSet<>();
    for (String l : instructions()) {
      if (l.startsWith("EXPOSE ")) for (String p : l.substring(7).trim().split("\\s+")) exposed.add(Integer.parseInt(p));
    }
    assertEquals(expected, exposed);
  }

  @Test
  void theKanelaAgentTheImageTakesOutOfTheJarIsInIt() throws Exception {
    String text = Files.readString(DOCKERFILE);
    Matcher m = Pattern.compile("grep -E '(\\^kanela-agent-[^']+)'").matcher(text);
    assertTrue(m.find(), "the Dockerfile picks the agent jar out of insync.jar by a pattern");
    Pattern agent = Pattern.compile(m.group(1));
    List<String> found = new ArrayList<>();
    try (JarFile jar = new JarFile(NodeConfig.jar().toFile())) {
      jar.stream().map(e -> e.getName()).filter(n -> agent.matcher(n).matches()).forEach(found::add);
    }
    assertEquals(1, found.size(), "exactly one Kanela agent jar at the root of insync.jar: " + found);
    assertTrue(text.contains("mv \"$agent\" kanela-agent.jar") && text.contains("COPY --from=build --chown=root:root /out/ /opt/insync/"),
        "it lands at " + KANELA_IN_IMAGE);
  }

  /** The Dockerfile's instructions, comments dropped and continued lines joined. */
  static List<String> instructions() throws Exception {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String raw : Files.readAllLines(DOCKERFILE)) {
      String l = raw.strip();
      if (l.startsWith("#") || l.isEmpty()) continue;
      if (l.endsWith("\\")) {
        cur.append(l, 0, l.length() - 1).append(' ');
        continue;
      }
      cur.append(l);
      out.add(cur.toString().replaceAll("\\s+", " ").strip());
      cur.setLength(0);
    }
    return out;
  }
}
