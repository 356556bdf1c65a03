/**
 * The insync wire format: 4-byte unsigned big-endian length, then one serialized
 * {@link io.insync.protocol.Envelope}; Netty handlers for it, and envelope factories.
 */
package io.insync.core.codec;
