/**
 * Runnable examples written against the public SDK API only ({@code io.insync.client} and the
 * generated {@code io.insync.protocol} messages): being in a package of their own, they cannot
 * reach anything the SDK keeps package-private. {@code bin/insync example} runs them.
 */
package io.insync.client.examples;
