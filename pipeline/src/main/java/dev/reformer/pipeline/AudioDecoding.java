package dev.reformer.pipeline;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.audio.VoiceActivityDetector;
import dev.reformer.protocol.DeadLetterReason;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one audio record's bytes into feature frames within the admission limits ({@link JobSettings.Admission}):
 * the bytes are pushed into the stream's front-end a slice at a time, a WAV header's rate is checked before any sample
 * is decoded at it, and decoding stops as soon as the record or the stream holds more audio than allowed. The
 * front-end's state comes in and goes out as bytes (the caller keeps it in keyed state); a refusal leaves it as it was.
 */
final class AudioDecoding {
    /** The lowest audio rate taken: below it a record's few bytes would become hours of 16 kHz audio. */
    public static final int MIN_SAMPLE_RATE = 8_000;
    /** Bytes pushed at a time while a WAV header is read: at most this many samples are decoded before its rate is checked. */
    static final int HEADER_SLICE = 64;
    /** Bytes pushed at a time after the header: the work done before a limit is seen to be exceeded is at most one slice more. */
    static final int AUDIO_SLICE = 32 * 1024;

    private final FeatureConfig features;
    private final JobSettings.Admission limits;

    AudioDecoding(FeatureConfig features, JobSettings.Admission limits) {
        this.features = features;
        this.limits = limits;
    }

    /** A record refused by the front-end or an admission limit; terminal: the stream cannot go on after it. */
    static final class Refusal extends Exception {
        final DeadLetterReason reason;
        final boolean terminal;

        Refusal(DeadLetterReason reason, String message, boolean terminal) {
            super(message);
            this.reason = reason;
            this.terminal = terminal;
        }
    }

    /** What a record's bytes gave: the front-end's state after them, its frames, and the speech events heard. */
    record Taken(byte[] extractorState, List<float[][]> frames, List<VoiceActivityDetector.Event> speech) {}

    /** Decodes the record's audio, from the front-end's state before it (null: the stream's first audio). */
    Taken decode(byte[] extractorState, StreamEvent event) throws Refusal {
        StreamingFeatureExtractor extractor;
        List<float[][]> frames = new ArrayList<>();
        List<VoiceActivityDetector.Event> speech = new ArrayList<>();
        try {
            extractor = extractorState != null
                    ? StreamingFeatureExtractor.restore(extractorState)
                    : StreamingFeatureExtractor.create(features, PcmDecoder.Encoding.parse(event.encoding), Math.max(1, event.sampleRate), Math.max(1, event.channels));
            pushWithinLimits(extractor, event.payload, frames, speech);
        } catch (AudioException e) {
            // the header or the state is unusable, so is every later record of the stream; a bad sample spoils only its chunk
            throw new Refusal(DeadLetterReason.valueOf(e.kind().name()), e.getMessage(), e.kind() != AudioException.Kind.NON_FINITE_SAMPLE);
        } catch (RuntimeException e) {
            throw new Refusal(DeadLetterReason.FRONTEND_FAILED, "the audio front-end failed on this record (" + e
                    + "); the record is dropped and the stream goes on as before it", false);
        }
        return new Taken(extractor.snapshot(), frames, speech);
    }

    /**
     * Pushes bytes into the extractor a slice at a time: the header in small slices so that the rate is checked
     * before samples are decoded at it, then larger ones, stopping as soon as the record or the stream holds more
     * audio than the limits allow. Frames and speech events are appended to the lists.
     */
    private void pushWithinLimits(StreamingFeatureExtractor extractor, byte[] bytes, List<float[][]> frames,
                                  List<VoiceActivityDetector.Event> speech) throws AudioException, Refusal {
        long before = extractor.framesEmitted();
        for (int at = 0; at < bytes.length; ) {
            boolean headerPending = extractor.sourceRate() < 0;
            int n = Math.min(bytes.length - at, headerPending ? HEADER_SLICE : AUDIO_SLICE);
            StreamingFeatureExtractor.Output o = extractor.push(bytes, at, n);
            at += n;
            frames.add(o.frames());
            speech.addAll(o.events());
            if (headerPending && extractor.sourceRate() >= 0) checkRate(extractor.sourceRate());
            long recordFrames = extractor.framesEmitted() - before;
            if (recordFrames > limits.maxRecordFrames()) {
                throw new Refusal(DeadLetterReason.RECORD_TOO_LONG, "the record holds more than " + limits.maxRecordSeconds()
                        + " s of audio (--max-record-seconds; decoding stopped at " + recordFrames + " frames); send audio in shorter chunks", false);
            }
            if (extractor.framesEmitted() > limits.maxStreamFrames()) {
                throw new Refusal(DeadLetterReason.STREAM_TOO_LONG, "the stream would hold more than " + limits.maxStreamSeconds() + " s of audio"
                        + " (--max-stream-seconds); the record is dropped: end the stream with eos and start a new one", false);
            }
        }
    }

    static void checkRate(int rate) throws Refusal {
        if (rate < MIN_SAMPLE_RATE) {
            throw new Refusal(DeadLetterReason.BAD_SAMPLE_RATE, "the WAV header says " + rate + " Hz; the speech front-end takes " + MIN_SAMPLE_RATE
                    + " to " + AudioException.MAX_SAMPLE_RATE + " Hz (8000, 16000, 44100 and 48000 are typical)", true);
        }
    }
}
