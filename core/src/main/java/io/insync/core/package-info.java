/** Pekko-free building blocks shared by the server and the client SDK. */
package io.insync.core;
