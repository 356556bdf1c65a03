/**
 * The insync client SDK. Its public API is exactly the public types of this package:
 * {@link io.insync.client.InsyncClient} (one connection, requests, sends, sync), {@link
 * io.insync.client.ClientOptions} and its builder, {@link io.insync.client.ClientListener} (the
 * callbacks), {@link io.insync.client.SyncKeyStore} with {@link io.insync.client.FileSyncKeyStore}
 * and {@link io.insync.client.InMemorySyncKeyStore}, and the failures {@link
 * io.insync.client.ServerErrorException} and {@link io.insync.client.ConnectionLostException}; the
 * messages themselves are the generated {@code io.insync.protocol} classes. Everything else here
 * is package-private and may change at any time.
 *
 * <p>The API is recorded, one line per type and member, in {@code
 * core/src/test/resources/api/io.insync.client.txt}, and {@code ApiSignatureTest} fails when the
 * code differs from it: a change that removes or changes a line breaks callers and is made on
 * purpose, by re-recording the file in the same commit. New listener events come as new default
 * methods of {@link io.insync.client.ClientListener}, so they break nobody.
 *
 * <p>{@link io.insync.client.examples.EchoBot} is a complete program on this API.
 */
package io.insync.client;
