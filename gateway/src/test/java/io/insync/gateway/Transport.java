package io.insync.gateway;

/** The two ways a client reaches the gateway; the protocol suites run over both. */
enum Transport {
  /** Length-prefixed frames on a TCP socket. */
  TCP,
  /** One binary WebSocket message per Envelope, on {@code /sync}. */
  WS
}
