package io.insync.loadtest;

/** OneToOneChat expecting, for its 2nd message, a SendAck id that the node never sends: the run must fail. */
public class WrongAckIdChat extends OneToOneChat {
  @Override
  protected String expectedAckId(String sent) {
    return sent.endsWith("#2") ? sent + "-not-this" : sent;
  }
}
