package io.insync.persistence;

/**
 * Marker for messages that may travel between live nodes (commands to entities, their replies,
 * pushes to sessions). The cluster module binds it to the Kryo serializer with fixed
 * registration ids. Nothing marked with it is ever stored: stored data uses protobuf.
 */
public interface ClusterMessage {}
