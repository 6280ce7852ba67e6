package dev.reformer.protocol;

/** The headers of one message of {@code text-in}: an optional {@code seq} (null when absent), echoed in its result. */
public record TextMessageHeaders(Long seq) {}
