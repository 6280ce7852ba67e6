package dev.reformer.protocol;

/** Something on the wire that does not follow docs/PROTOCOL.md: the dead-letter reason, and a sentence saying what to send. */
public final class ProtocolException extends Exception {
    private final DeadLetterReason reason;

    public ProtocolException(DeadLetterReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
