package dev.reformer.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The small closed vocabularies of the protocol, each written as its lower-case code. */
public final class Codes {
    private Codes() {}

    /** What a record, result or model is about. */
    public enum Input {
        AUDIO, TEXT;

        @JsonValue
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Input of(String code) {
            return valueOf(code.toUpperCase(Locale.ROOT));
        }
    }

    /** What a result says: a classification, a transcript so far, an utterance's transcript, or that the stream ended. */
    public enum Kind {
        LABEL, PARTIAL, FINAL, END;

        @JsonValue
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Kind of(String code) {
            return valueOf(code.toUpperCase(Locale.ROOT));
        }
    }

    /** What ended with a result's window: speech (an utterance), the stream's eos, its idle timeout, or a refusal. */
    public enum Ending {
        SPEECH_END, EOS, IDLE, REFUSED;

        @JsonValue
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Ending of(String code) {
            return valueOf(code.toUpperCase(Locale.ROOT));
        }
    }

    /** Which part of the job refused a record. */
    public enum Stage {
        VALIDATION, ASSEMBLY, MODEL_CONTROL, MODEL;

        @JsonValue
        public String code() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @JsonCreator
        public static Stage of(String code) {
            return valueOf(code.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** How an audio record's bytes are encoded. */
    public enum Encoding {
        WAV, S16LE, F32LE;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The encoding of a header's value (case and surrounding blanks ignored). */
        public static Encoding parse(String text) throws ProtocolException {
            if (text != null) {
                for (Encoding e : values()) if (e.name().equalsIgnoreCase(text.trim())) return e;
            }
            throw new ProtocolException(DeadLetterReason.UNSUPPORTED_ENCODING, "encoding '" + text
                    + "' is not supported: use wav, s16le (16-bit signed little-endian PCM) or f32le (32-bit float little-endian)");
        }
    }
}
