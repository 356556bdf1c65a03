package io.insync.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * insync's own same-version check of the Pekko core modules on the classpath, in place of Pekko's
 * ({@code pekko.fail-mixed-versions}, off in cluster.conf): Pekko's check cannot except one module, and
 * pekko-discovery is at another version on purpose (not published at Pekko's version; docs/dependencies.md).
 * Every other Pekko core module must be at the version of pekko-actor, as Pekko demands. Modules are found as
 * Pekko finds them: the {@code META-INF/MANIFEST.MF} of each jar, by {@code Implementation-Vendor-Id}
 * {@code org.apache.pekko}, {@code Implementation-Title} and {@code Implementation-Version}. A shaded jar has
 * one merged manifest and shows no modules: there the build (PekkoModulesTest) is what checks.
 */
public final class PekkoModules {
  /** Pekko's own list of core modules (ActorSystemImpl, Pekko 1.7.0), the ones that must share a version. */
  static final Set<String> CORE = Set.of("pekko-actor", "pekko-actor-testkit-typed", "pekko-actor-typed",
      "pekko-cluster", "pekko-cluster-metrics", "pekko-cluster-sharding", "pekko-cluster-sharding-typed",
      "pekko-cluster-tools", "pekko-cluster-typed", "pekko-coordination", "pekko-discovery", "pekko-distributed-data",
      "pekko-testkit", "pekko-multi-node-testkit", "pekko-osgi", "pekko-persistence", "pekko-persistence-query",
      "pekko-persistence-shared", "pekko-persistence-testkit", "pekko-persistence-typed", "pekko-pki",
      "pekko-protobuf", "pekko-protobuf-v3", "pekko-remote", "pekko-serialization-jackson", "pekko-slf4j",
      "pekko-stream", "pekko-stream-testkit", "pekko-stream-typed");

  /** The only core module allowed at another version than pekko-actor's (see the parent pom). */
  public static final Set<String> ALLOWED_TO_DIFFER = Set.of("pekko-discovery");

  private static final String VENDOR = "org.apache.pekko";

  private PekkoModules() {}

  /** Every Pekko core module whose manifest {@code loader} sees: name to the versions found (normally one). */
  public static Map<String, Set<String>> onClasspath(ClassLoader loader) {
    Map<String, Set<String>> found = new TreeMap<>();
    try {
      for (URL url : Collections.list(loader.getResources("META-INF/MANIFEST.MF"))) {
        Attributes main;
        try (InputStream in = url.openStream()) {
          main = new Manifest(in).getMainAttributes();
        }
        String title = main.getValue("Implementation-Title");
        String version = main.getValue("Implementation-Version");
        if (VENDOR.equals(main.getValue("Implementation-Vendor-Id")) && CORE.contains(title) && version != null) {
          found.computeIfAbsent(title, t -> new TreeSet<>()).add(version);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the classpath's jar manifests", e);
    }
    return found;
  }

  /**
   * What is wrong with these modules, if anything: a core module (other than those {@link #ALLOWED_TO_DIFFER})
   * at a version other than pekko-actor's, or at two versions. Empty when pekko-actor is not among them (a
   * shaded jar): nothing to compare against.
   */
  public static Optional<String> mismatch(Map<String, Set<String>> modules) {
    Set<String> actor = modules.getOrDefault("pekko-actor", Set.of());
    if (actor.size() != 1) {
      return actor.isEmpty() ? Optional.empty() : Optional.of("pekko-actor is on the classpath twice: " + actor);
    }
    String expected = actor.iterator().next();
    List<String> wrong = new ArrayList<>();
    modules.forEach((name, versions) -> {
      if (!ALLOWED_TO_DIFFER.contains(name) && !versions.equals(Set.of(expected))) wrong.add(name + " " + versions);
    });
    if (wrong.isEmpty()) return Optional.empty();
    return Optional.of("Pekko modules at another version than pekko-actor " + expected + ": " + String.join(", ", wrong)
        + ". Every Pekko core module must be at Pekko's version (only " + ALLOWED_TO_DIFFER + " may differ: "
        + "docs/dependencies.md); pin it in the parent pom (pekko-bom)");
  }

  /** Fails (IllegalStateException) on a mixed-version classpath, as Pekko's own check would. */
  public static void check(ClassLoader loader) {
    mismatch(onClasspath(loader)).ifPresent(m -> {
      throw new IllegalStateException(m);
    });
  }
}
