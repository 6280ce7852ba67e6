package dev.reformer.bench;

import dev.reformer.audio.AudioFiles;
import dev.reformer.audio.AudioException;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.Resampler;
import dev.reformer.audio.StreamingFeatureExtractor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Speed of the audio front-end on one thread: WAV bytes pushed in 100 ms chunks (as Kafka records would bring
 * them) through decoding, resampling and features, against the duration of the audio (real-time factor).
 * Decoding plus resampling alone is measured in the same run, to show where the time goes.
 */
public final class FrontendBench {

    private FrontendBench() {}

    public record Input(String name, int rate, int channels) {}

    public static final List<Input> INPUTS = List.of(new Input("16 kHz mono", 16000, 1), new Input("8 kHz mono", 8000, 1),
            new Input("44.1 kHz stereo", 44100, 2), new Input("48 kHz mono", 48000, 1));

    public static String run(int seconds, int repeats) throws AudioException {
        StringBuilder table = new StringBuilder();
        table.append("| input | features | ms per run (median) | x real time | decode + resample only: x real time |\n");
        table.append("|---|---|---:|---:|---:|\n");
        int total = INPUTS.size() * 2, done = 0;
        for (Input input : INPUTS) {
            byte[] wav = speechLikeWav(input.rate(), input.channels(), seconds);
            int chunk = input.rate() / 10 * input.channels() * 2;
            double resampleMs = median(repeats, () -> decodeAndResample(wav, chunk));
            for (FeatureConfig config : List.of(FeatureConfig.logMel(), FeatureConfig.mfcc())) {
                String features = config.kind() == FeatureConfig.Kind.MFCC ? "13 MFCC (TarsosDSP)" : "80 log-mel";
                System.err.printf("[%d/%d] %s, %s ...%n", ++done, total, input.name(), features);
                double ms = median(repeats, () -> extract(config, wav, chunk));
                table.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.0fx | %.0fx |%n", input.name(), features, ms,
                        seconds * 1000.0 / ms, seconds * 1000.0 / resampleMs));
            }
        }
        return table.toString();
    }

    public interface Body {
        long run() throws AudioException;
    }

    /** Median wall time of {@code repeats} runs after two seconds of untimed warm-up runs (the JIT compiles the loops). */
    private static double median(int repeats, Body body) throws AudioException {
        long sink = 0;
        for (long start = System.nanoTime(); System.nanoTime() - start < 2_000_000_000L; ) sink += body.run();
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            sink += body.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        if (sink == 42) System.err.print("");   // keeps the work observable
        Arrays.sort(ms);
        return ms[repeats / 2];
    }

    private static long extract(FeatureConfig config, byte[] wav, int chunk) throws AudioException {
        StreamingFeatureExtractor extractor = new StreamingFeatureExtractor(config, PcmDecoder.wav());
        long frames = 0;
        for (int at = 0; at < wav.length; at += chunk) frames += extractor.push(wav, at, Math.min(chunk, wav.length - at)).size();
        return frames + extractor.finish().size();
    }

    private static long decodeAndResample(byte[] wav, int chunk) throws AudioException {
        PcmDecoder decoder = PcmDecoder.wav();
        Resampler resampler = null;
        long samples = 0;
        for (int at = 0; at < wav.length; at += chunk) {
            float[] x = decoder.push(wav, at, Math.min(chunk, wav.length - at));
            if (resampler == null && decoder.formatKnown()) resampler = new Resampler(decoder.sampleRate());
            samples += resampler.push(x, 0, x.length).length;
        }
        return samples + resampler.finish().length;
    }

    /** Noise shaped like syllables (4 Hz envelope) over a 120 Hz harmonic buzz, with pauses: busy for every stage. */
    public static byte[] speechLikeWav(int rate, int channels, int seconds) {
        int frames = rate * seconds;
        Random random = new Random(1);
        ByteBuffer b = ByteBuffer.allocate(frames * channels * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < frames; n++) {
            double t = (double) n / rate;
            double envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) * ((int) t % 3 == 2 ? 0.05 : 1);
            double buzz = 0;
            for (int h = 1; h <= 10; h++) buzz += Math.sin(2 * Math.PI * 120 * h * t) / h;
            double x = envelope * (0.15 * buzz + 0.1 * random.nextGaussian()) + 0.002 * random.nextGaussian();
            short s = (short) Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
            for (int c = 0; c < channels; c++) b.putShort(s);
        }
        return AudioFiles.wav(b.array(), rate, channels, 16);
    }
}
