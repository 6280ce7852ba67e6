package dev.reformer.audio;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bytes of one audio stream in, feature frames and voice-activity events out:
 * decode ({@link PcmDecoder}) → resample to 16 kHz ({@link Resampler}) → 25 ms windows every 10 ms
 * ({@link MelSpectrum}) → optional running normalisation ({@link RunningNormalizer}), with
 * {@link VoiceActivityDetector} watching each frame's energy.
 *
 * Every stage computes each value from the same inputs in the same order however the bytes were split, so
 * the frames of a stream pushed in any chunks are identical to those of the whole stream pushed at once.
 * {@link #snapshot()} and {@link #restore(byte[])} carry the whole state (a few KB), which is how the Flink
 * job keeps one extractor per stream in keyed state.
 */
public final class StreamingFeatureExtractor {

    /** Frames {@code firstFrame .. firstFrame + frames.length - 1} and the events found while making them. */
    public record Output(long firstFrame, float[][] frames, List<VoiceActivityDetector.Event> events) {
        public int size() {
            return frames.length;
        }
    }

    private static final int STATE_MAGIC = 0x52464645;   // "RFFE"
    private static final int STATE_VERSION = 1;

    private final FeatureConfig config;
    private final PcmDecoder decoder;
    private final MelSpectrum spectrum;
    private final VoiceActivityDetector vad;
    private final RunningNormalizer normalizer;
    /** Created once the decoder knows the source rate (after the WAV header). */
    private Resampler resampler;
    /** 16 kHz samples from the start of the next frame on; fewer than one window after each call. */
    private float[] pending = new float[4 * FeatureConfig.WINDOW];
    private int pendingLength;
    private long framesEmitted;
    private boolean finished;

    public StreamingFeatureExtractor(FeatureConfig config, PcmDecoder decoder) {
        this(config, decoder, new VoiceActivityDetector(config.vad()),
             config.normalize() ? new RunningNormalizer(config.dimension(), config.normalizationFrames()) : null);
    }

    private StreamingFeatureExtractor(FeatureConfig config, PcmDecoder decoder, VoiceActivityDetector vad,
                                      RunningNormalizer normalizer) {
        this.config = config;
        this.decoder = decoder;
        this.spectrum = new MelSpectrum(config);
        this.vad = vad;
        this.normalizer = normalizer;
    }

    /** An extractor for a stream in {@code encoding}; rate and channels are only used by raw encodings. */
    public static StreamingFeatureExtractor create(FeatureConfig config, PcmDecoder.Encoding encoding,
                                                  int sampleRate, int channels) throws AudioException {
        return new StreamingFeatureExtractor(config, PcmDecoder.of(encoding, sampleRate, channels));
    }

    /** The frames of a whole stream: the same as pushing it in any chunks and finishing. */
    public static Output extractAll(FeatureConfig config, PcmDecoder decoder, byte[] bytes) throws AudioException {
        StreamingFeatureExtractor extractor = new StreamingFeatureExtractor(config, decoder);
        Output first = extractor.push(bytes, 0, bytes.length);
        Output rest = extractor.finish();
        return concat(first, rest);
    }

    public FeatureConfig config() {
        return config;
    }

    public long framesEmitted() {
        return framesEmitted;
    }

    /** Source sample rate, or -1 while a WAV header is still incomplete. */
    public int sourceRate() {
        return decoder.sampleRate();
    }

    /** Seconds of source audio decoded so far. */
    public double secondsDecoded() {
        return decoder.sampleRate() > 0 ? (double) decoder.samplesDecoded() / decoder.sampleRate() : 0;
    }

    public boolean inSpeech() {
        return vad.inSpeech();
    }

    public Output push(byte[] bytes) throws AudioException {
        return push(bytes, 0, bytes.length);
    }

    public Output push(byte[] bytes, int offset, int length) throws AudioException {
        if (finished) throw new IllegalStateException("push after finish: the stream has ended");
        float[] samples = decoder.push(bytes, offset, length);
        if (resampler == null && decoder.formatKnown()) resampler = new Resampler(decoder.sampleRate());
        List<VoiceActivityDetector.Event> events = new ArrayList<>();
        long first = framesEmitted;
        if (samples.length == 0) return new Output(first, new float[0][], events);
        return new Output(first, frames(resampler.push(samples, 0, samples.length), events), events);
    }

    /** End of stream: decodes what is left, flushes the resampler and closes an open utterance. */
    public Output finish() throws AudioException {
        if (finished) throw new IllegalStateException("finish called twice");
        float[] tail = decoder.finish();   // throws on an incomplete header, a partial sample or an empty stream
        if (resampler == null) resampler = new Resampler(decoder.sampleRate());
        finished = true;
        List<VoiceActivityDetector.Event> events = new ArrayList<>();
        long first = framesEmitted;
        float[] resampled = resampler.push(tail, 0, tail.length);
        float[] flushed = resampler.finish();
        float[][] a = frames(resampled, events), b = frames(flushed, events);
        vad.finish(events);
        float[][] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return new Output(first, all, events);
    }

    private float[][] frames(float[] samples, List<VoiceActivityDetector.Event> events) {
        if (pendingLength + samples.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(2 * pending.length, pendingLength + samples.length));
        }
        System.arraycopy(samples, 0, pending, pendingLength, samples.length);
        pendingLength += samples.length;
        int count = pendingLength < FeatureConfig.WINDOW ? 0 : 1 + (pendingLength - FeatureConfig.WINDOW) / FeatureConfig.HOP;
        float[][] out = new float[count][];
        for (int f = 0; f < count; f++) {
            float[] frame = new float[config.dimension()];
            double energyDb = spectrum.compute(pending, f * FeatureConfig.HOP, frame);
            if (normalizer != null) normalizer.apply(frame);
            vad.accept(energyDb, events);
            out[f] = frame;
        }
        int consumed = count * FeatureConfig.HOP;
        System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
        pendingLength -= consumed;
        framesEmitted += count;
        return out;
    }

    static Output concat(Output first, Output second) {
        float[][] frames = Arrays.copyOf(first.frames(), first.size() + second.size());
        System.arraycopy(second.frames(), 0, frames, first.size(), second.size());
        List<VoiceActivityDetector.Event> events = new ArrayList<>(first.events());
        events.addAll(second.events());
        return new Output(first.firstFrame(), frames, events);
    }

    /** The whole state, to continue this stream later (in another process) with {@link #restore(byte[])}. */
    public byte[] snapshot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(STATE_MAGIC);
            out.writeInt(STATE_VERSION);
            config.write(out);
            decoder.writeState(out);
            out.writeBoolean(resampler != null);
            if (resampler != null) resampler.writeState(out);
            out.writeInt(pendingLength);
            for (int i = 0; i < pendingLength; i++) out.writeFloat(pending[i]);
            out.writeLong(framesEmitted);
            out.writeBoolean(finished);
            vad.writeState(out);
            if (normalizer != null) normalizer.writeState(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    public static StreamingFeatureExtractor restore(byte[] state) throws AudioException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            if (in.readInt() != STATE_MAGIC) throw badState("it is not a feature-extractor state");
            int version = in.readInt();
            if (version != STATE_VERSION) throw badState("state version " + version + ", this build reads " + STATE_VERSION);
            FeatureConfig config = FeatureConfig.read(in);
            PcmDecoder decoder = PcmDecoder.readState(in);
            Resampler resampler = in.readBoolean() ? Resampler.readState(in) : null;
            int pendingLength = in.readInt();
            if (pendingLength < 0 || pendingLength >= FeatureConfig.WINDOW) throw badState("pending sample count " + pendingLength);
            float[] pending = new float[4 * FeatureConfig.WINDOW];
            for (int i = 0; i < pendingLength; i++) pending[i] = in.readFloat();
            long framesEmitted = in.readLong();
            boolean finished = in.readBoolean();
            VoiceActivityDetector vad = VoiceActivityDetector.readState(config.vad(), in);
            RunningNormalizer normalizer = config.normalize()
                    ? RunningNormalizer.readState(config.dimension(), config.normalizationFrames(), in) : null;
            if (in.available() != 0) throw badState(in.available() + " unexpected bytes at the end");
            StreamingFeatureExtractor extractor = new StreamingFeatureExtractor(config, decoder, vad, normalizer);
            extractor.resampler = resampler;
            extractor.pending = pending;
            extractor.pendingLength = pendingLength;
            extractor.framesEmitted = framesEmitted;
            extractor.finished = finished;
            return extractor;
        } catch (IOException | RuntimeException e) {
            throw badState(e.toString());
        }
    }

    private static AudioException badState(String why) {
        return new AudioException(AudioException.Kind.BAD_STATE,
                "cannot restore the feature extractor: " + why + "; start the stream over with a fresh extractor");
    }
}
