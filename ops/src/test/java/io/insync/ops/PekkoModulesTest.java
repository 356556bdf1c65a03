package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Pekko same-version check that stands in for Pekko's own (off in cluster.conf): the build's classpath
 * passes with pekko-discovery as the one module at another version, and any other skew fails.
 */
class PekkoModulesTest {
  @Test
  void theBuildsClasspathHasEveryCoreModuleAtPekkosVersionButDiscovery() {
    Map<String, Set<String>> modules = PekkoModules.onClasspath(getClass().getClassLoader());
    String pekko = org.apache.pekko.Version.current();
    for (String m : List.of("pekko-actor", "pekko-remote", "pekko-cluster", "pekko-cluster-sharding-typed",
        "pekko-persistence-typed", "pekko-stream")) {
      assertEquals(Set.of(pekko), modules.get(m), m + " in " + modules);
    }
    // bootstrap's discovery is on the classpath, at the version docs/dependencies.md names
    assertEquals(Set.of("1.2.1"), modules.get("pekko-discovery"), "pekko-discovery in " + modules);
    assertEquals(Optional.empty(), PekkoModules.mismatch(modules));
    PekkoModules.check(getClass().getClassLoader());
  }

  @Test
  void anyOtherModuleAtAnotherVersionFails() {
    Optional<String> m = PekkoModules.mismatch(Map.of("pekko-actor", Set.of("1.7.0"), "pekko-remote", Set.of("1.6.0"),
        "pekko-stream", Set.of("1.7.0"), "pekko-discovery", Set.of("1.2.1")));
    assertTrue(m.isPresent());
    assertTrue(m.get().contains("pekko-remote [1.6.0]") && !m.get().contains("pekko-stream ["), m.get());
    assertTrue(PekkoModules.mismatch(Map.of("pekko-actor", Set.of("1.7.0"), "pekko-cluster", Set.of("1.7.0", "1.1.3")))
        .orElseThrow().contains("pekko-cluster"));
    assertTrue(PekkoModules.mismatch(Map.of("pekko-actor", Set.of("1.7.0", "1.6.0"))).isPresent(), "two pekko-actors");
  }

  @Test
  void noPekkoActorManifestMeansNothingToCompare() {
    assertEquals(Optional.empty(), PekkoModules.mismatch(Map.of()));
    assertEquals(Optional.empty(), PekkoModules.mismatch(Map.of("pekko-remote", Set.of("1.6.0"))));
  }

  /** Read from real manifests, as the node does: vendor, title and version; other Pekko projects are ignored. */
  @Test
  void readsJarManifestsLikePekko(@TempDir Path dir) throws Exception {
    List<URL> roots = new ArrayList<>();
    roots.add(module(dir, "org.apache.pekko", "pekko-actor", "1.7.0"));
    roots.add(module(dir, "org.apache.pekko", "pekko-discovery", "1.2.1"));
    roots.add(module(dir, "org.apache.pekko", "pekko-management", "1.1.1")); // not a core module
    roots.add(module(dir, "com.example", "pekko-remote", "9.9.9")); // not Pekko's
    try (URLClassLoader loader = new URLClassLoader(roots.toArray(URL[]::new), null)) {
      assertEquals(Map.of("pekko-actor", Set.of("1.7.0"), "pekko-discovery", Set.of("1.2.1")),
          PekkoModules.onClasspath(loader));
      PekkoModules.check(loader);
    }
    roots.add(module(dir, "org.apache.pekko", "pekko-cluster", "1.6.0"));
    try (URLClassLoader loader = new URLClassLoader(roots.toArray(URL[]::new), null)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> PekkoModules.check(loader));
      assertTrue(e.getMessage().contains("pekko-cluster [1.6.0]"), e.getMessage());
    }
  }

  private static URL module(Path dir, String vendor, String title, String version) throws Exception {
    Path root = dir.resolve(vendor + "-" + title + "-" + version);
    Files.createDirectories(root.resolve("META-INF"));
    Files.writeString(root.resolve("META-INF/MANIFEST.MF"), "Manifest-Version: 1.0\nImplementation-Vendor-Id: "
        + vendor + "\nImplementation-Title: " + title + "\nImplementation-Version: " + version + "\n");
    return root.toUri().toURL();
  }
}
