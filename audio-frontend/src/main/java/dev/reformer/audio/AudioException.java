package dev.reformer.audio;

/**
 * Bad audio input. Checked, so that every caller decides what a bad stream means to it (the Flink job turns
 * it into a dead letter whose reason is {@link #kind()} plus the message). Each message says what was wrong
 * and what is accepted instead.
 */
public final class AudioException extends Exception {

    public enum Kind {
        /** An encoding, format tag, sample width or sub-format we do not decode. */
        UNSUPPORTED_ENCODING,
        /** The stream ended inside the header, or before any data chunk. */
        TRUNCATED_HEADER,
        /** The header is not a RIFF/WAVE header, or its fields contradict each other. */
        GARBLED_HEADER,
        /** Sample rate 0, negative, or above {@link #MAX_SAMPLE_RATE}. */
        BAD_SAMPLE_RATE,
        /** Channel count 0 or negative (or absurdly large). */
        BAD_CHANNEL_COUNT,
        /** The stream ended in the middle of a sample frame. */
        TRAILING_BYTES,
        /** A floating-point sample is NaN or infinite. */
        NON_FINITE_SAMPLE,
        /** The stream ended without a single sample of audio. */
        EMPTY_STREAM,
        /** A saved extractor state could not be read back (corrupt, or written by another version). */
        BAD_STATE
    }

    /** Highest sample rate accepted anywhere in the front-end. */
    public static final int MAX_SAMPLE_RATE = 384_000;

    private final Kind kind;

    public AudioException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Rejects a sample rate outside 1..{@link #MAX_SAMPLE_RATE}. */
    public static void checkSampleRate(long sampleRate) throws AudioException {
        if (sampleRate <= 0 || sampleRate > MAX_SAMPLE_RATE) {
            throw new AudioException(Kind.BAD_SAMPLE_RATE, "sample rate " + sampleRate
                    + " Hz is not accepted: use 1 to " + MAX_SAMPLE_RATE + " Hz (8000, 16000, 44100 and 48000 are typical)");
        }
    }

    /** Rejects a channel count outside 1..{@code 64}. */
    public static void checkChannels(long channels) throws AudioException {
        if (channels <= 0 || channels > 64) {
            throw new AudioException(Kind.BAD_CHANNEL_COUNT, "channel count " + channels
                    + " is not accepted: use 1 to 64 channels (they are mixed down to mono)");
        }
    }
}
