package dev.reformer.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Why a record (or a window, or a control message) became a dead letter: the reasons table of docs/PROTOCOL.md. */
public enum DeadLetterReason {
    MISSING_KEY, EMPTY_VALUE, OVERSIZED, MISSING_SEQ, BAD_SEQ, UNSUPPORTED_ENCODING, MISSING_SAMPLE_RATE, BAD_SAMPLE_RATE,
    BAD_CHANNELS, BAD_CHANNEL_COUNT, INVALID_UTF8, DUPLICATE_SEQ, DUPLICATE_EOS, AFTER_EOS, SEQ_GAP, REORDER_FULL, SEQ_MISSING,
    FORMAT_CHANGED, NON_FINITE_SAMPLE, TRAILING_BYTES, EMPTY_STREAM, TRUNCATED_HEADER, GARBLED_HEADER, BAD_STATE, STREAM_REFUSED,
    RECORD_TOO_LONG, STREAM_TOO_LONG, TOO_MANY_STREAMS, FRONTEND_FAILED, VALIDATION_FAILED, EOS_BEFORE_AUDIO, INFERENCE_FAILED,
    CONTROL_NOT_JSON, CONTROL_BAD_FIELD, MODEL_MISSING, MODEL_CHECKSUM, MODEL_UNLOADABLE, MODEL_WRONG_INPUT, MODEL_UNSUPPORTED,
    MODEL_MISMATCH, MODEL_FAILED;

    /** As written in a dead letter: {@code bad_seq}. */
    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static DeadLetterReason of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
