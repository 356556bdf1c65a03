/** Signed auth tokens (HMAC-SHA256) shared by the gateway, the CLI and tests. */
package io.insync.core.auth;
