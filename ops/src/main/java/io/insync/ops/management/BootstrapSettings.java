package io.insync.ops.management;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;
import java.util.Optional;

/**
 * What cluster bootstrap will look up, read as Pekko Management reads it, so that a node with bootstrap on
 * and a configuration that can never form a cluster refuses to start with the key to fix (instead of
 * waiting for contact points until insync.node.ready-timeout). Pure: tested without a node.
 */
record BootstrapSettings(String method, String serviceName, int requiredContactPoints) {
  private static final String DISCOVERY = "pekko.management.cluster.bootstrap.contact-point-discovery";

  static BootstrapSettings of(Config config, String systemName) {
    String method = config.getString(DISCOVERY + ".discovery-method");
    if (method.equals("pekko.discovery")) method = config.getString("pekko.discovery.method");
    String effective = config.getString(DISCOVERY + ".effective-name");
    String name;
    if (!effective.equals("<effective-name>")) {
      name = effective;
    } else {
      name = config.getString(DISCOVERY + ".service-name");
      if (name.equals("<service-name>")) name = systemName;
      String namespace = config.getString(DISCOVERY + ".service-namespace");
      if (!namespace.equals("<service-namespace>")) name = name + "." + namespace;
    }
    return new BootstrapSettings(method, name, config.getInt(DISCOVERY + ".required-contact-point-nr"));
  }

  /** Why bootstrap with these settings cannot work, if it cannot. */
  Optional<String> problem(Config config) {
    if (method.startsWith("<") || !config.hasPath("pekko.discovery." + method + ".class")) {
      return Optional.of("cluster bootstrap's discovery method '" + method + "' is not known (no pekko.discovery."
          + method + ".class; set " + DISCOVERY + ".discovery-method, for example to config)");
    }
    if (requiredContactPoints < 1) {
      return Optional.of(DISCOVERY + ".required-contact-point-nr must be at least 1 (was " + requiredContactPoints + ")");
    }
    if (!method.equals("config")) return Optional.empty();
    String services = config.hasPath("pekko.discovery.config.services-path")
        ? config.getString("pekko.discovery.config.services-path") : "pekko.discovery.config.services";
    String key = services + ".\"" + serviceName + "\".endpoints";
    List<? extends Config> endpoints;
    try {
      endpoints = config.hasPath(key) ? config.getConfigList(key) : List.of();
    } catch (ConfigException e) {
      return Optional.of(key + " must be a list of { host = ..., port = ... }: " + e.getMessage());
    }
    if (endpoints.size() < requiredContactPoints) {
      return Optional.of("cluster bootstrap (discovery-method = config) lists " + endpoints.size()
          + " contact point(s) at " + key + " but needs " + requiredContactPoints + " (" + DISCOVERY
          + ".required-contact-point-nr): list every node's management host and port there");
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "discovery-method " + method + ", service " + serviceName + ", required contact points "
        + requiredContactPoints;
  }
}
