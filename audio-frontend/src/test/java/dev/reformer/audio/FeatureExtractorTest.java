package dev.reformer.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.StreamingFeatureExtractor.Output;
import dev.reformer.audio.VoiceActivityDetector.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureExtractorTest {

    private static final FeatureConfig LOG_MEL = FeatureConfig.logMel();

    // ---------------------------------------------------------------- chunking does not change anything

    /** Streams of every kind the extractor sees: real speech at 16 and 22.05 kHz, stereo 44.1 kHz, raw PCM. */
    private record Stream(String name, PcmDecoder.Encoding encoding, int rate, int channels, byte[] bytes, int frameBytes) {}

    private static List<Stream> streams() {
        float[] stereo = new float[2 * 44100];
        float[] left = TestAudio.tone(440, 0.3, 44100, 44100), right = TestAudio.noise(0.05, 44100, 3);
        for (int i = 0; i < 44100; i++) { stereo[2 * i] = left[i]; stereo[2 * i + 1] = right[i]; }
        byte[] goForward = TestAudio.resource("goforward-16k.wav");
        byte[] rawS16 = java.util.Arrays.copyOfRange(goForward, 44, goForward.length);
        return List.of(
                new Stream("go forward, 16 kHz WAV", PcmDecoder.Encoding.WAV, 0, 0, goForward, 2),
                new Stream("seven three nine, 22.05 kHz WAV", PcmDecoder.Encoding.WAV, 0, 0, TestAudio.resource("seven-three-nine-22k.wav"), 2),
                new Stream("tone and noise, 44.1 kHz stereo WAV", PcmDecoder.Encoding.WAV, 0, 0, TestAudio.wav16(stereo, 44100, 2), 4),
                new Stream("go forward, raw s16le", PcmDecoder.Encoding.S16LE, 16000, 1, rawS16, 2));
    }

    private static Output whole(FeatureConfig config, Stream s) throws AudioException {
        return StreamingFeatureExtractor.extractAll(config, PcmDecoder.of(s.encoding(), s.rate(), s.channels()), s.bytes());
    }

    /** Pushes {@code s} in chunks of the given sizes (the last one takes the rest), then finishes. */
    private static Output chunked(FeatureConfig config, Stream s, int[] sizes) throws AudioException {
        StreamingFeatureExtractor extractor = StreamingFeatureExtractor.create(config, s.encoding(), s.rate(), s.channels());
        Output all = new Output(0, new float[0][], List.of());
        int at = 0;
        for (int i = 0; at < s.bytes().length; i++) {
            int n = Math.min(s.bytes().length - at, sizes[Math.min(i, sizes.length - 1)]);
            all = StreamingFeatureExtractor.concat(all, extractor.push(s.bytes(), at, n));
            at += n;
        }
        return StreamingFeatureExtractor.concat(all, extractor.finish());
    }

    private static void assertSameFrames(Output expected, Output actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": frame count");
        for (int f = 0; f < expected.size(); f++) {
            float[] e = expected.frames()[f], a = actual.frames()[f];
            for (int i = 0; i < e.length; i++) {
                assertTrue(Math.abs(e[i] - a[i]) <= 1e-5, what + ": frame " + f + " band " + i + ": " + e[i] + " vs " + a[i]);
            }
        }
        assertEquals(expected.events(), actual.events(), what + ": voice-activity events");
    }

    @Test
    void anyChunkingGivesTheWholeStreamFeatures() throws AudioException {
        for (FeatureConfig config : List.of(LOG_MEL, LOG_MEL.withNormalization(true), FeatureConfig.mfcc())) {
            for (Stream s : streams()) {
                Output expected = whole(config, s);
                assertTrue(expected.size() > 50, s.name() + " gives frames");
                String what = s.name() + " / " + config.kind() + (config.normalize() ? " normalised" : "");
                assertSameFrames(expected, chunked(config, s, new int[] {1}), what + ", 1-byte chunks");
                assertSameFrames(expected, chunked(config, s, new int[] {s.frameBytes()}), what + ", one sample per chunk");
                assertSameFrames(expected, chunked(config, s, new int[] {3, 17, 1, 30, 5000}), what + ", header split");
                Random random = new Random(s.name().hashCode());
                for (int trial = 0; trial < 3; trial++) {
                    int[] sizes = new int[400];
                    for (int i = 0; i < sizes.length; i++) sizes[i] = 1 + random.nextInt(random.nextBoolean() ? 7 : 3000);
                    assertSameFrames(expected, chunked(config, s, sizes), what + ", random chunks #" + trial);
                }
            }
        }
    }

    @Test
    void savingAndRestoringMidStreamGivesTheSameFeatures() throws AudioException {
        for (FeatureConfig config : List.of(LOG_MEL, LOG_MEL.withNormalization(true))) {
            for (Stream s : streams()) {
                Output expected = whole(config, s);
                Random random = new Random(42 + s.name().hashCode());
                for (int trial = 0; trial < 4; trial++) {
                    StreamingFeatureExtractor extractor = StreamingFeatureExtractor.create(config, s.encoding(), s.rate(), s.channels());
                    Output all = new Output(0, new float[0][], List.of());
                    int at = 0;
                    int maxState = 0;
                    while (at < s.bytes().length) {
                        int n = Math.min(s.bytes().length - at, 1 + random.nextInt(trial == 0 ? 40 : 9000));
                        all = StreamingFeatureExtractor.concat(all, extractor.push(s.bytes(), at, n));
                        at += n;
                        byte[] state = extractor.snapshot();   // as Flink would at a checkpoint, then continue elsewhere
                        maxState = Math.max(maxState, state.length);
                        extractor = StreamingFeatureExtractor.restore(state);
                    }
                    all = StreamingFeatureExtractor.concat(all, extractor.finish());
                    assertSameFrames(expected, all, s.name() + ", restored after every chunk, trial " + trial);
                    assertTrue(maxState < 32 * 1024, "state stays small: " + maxState + " bytes");
                }
            }
        }
    }

    @Test
    void restoringGarbageIsATypedError() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            if (trial % 2 == 0 && junk.length >= 8) { junk[0] = 0x52; junk[1] = 0x46; junk[2] = 0x46; junk[3] = 0x45; junk[4] = 0; junk[5] = 0; junk[6] = 0; junk[7] = 1; }
            AudioException e = assertThrows(AudioException.class, () -> StreamingFeatureExtractor.restore(junk));
            assertEquals(AudioException.Kind.BAD_STATE, e.kind());
        }
    }

    // ---------------------------------------------------------------- the numbers, computed independently

    /** Log-mel of one window written plainly: direct DFT in double, triangular HTK-mel filters, log with floor. */
    private static double[] referenceLogMel(float[] x, int offset, int bands, double lowHz, double highHz) {
        int n = 400, fft = 512;
        double[] power = new double[fft / 2 + 1];
        for (int k = 0; k <= fft / 2; k++) {
            double re = 0, im = 0;
            for (int t = 0; t < n; t++) {
                double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * t / n);
                re += w * x[offset + t] * Math.cos(2 * Math.PI * k * t / fft);
                im -= w * x[offset + t] * Math.sin(2 * Math.PI * k * t / fft);
            }
            power[k] = re * re + im * im;
        }
        double lowMel = 2595 * Math.log10(1 + lowHz / 700), highMel = 2595 * Math.log10(1 + highHz / 700);
        double[] hz = new double[bands + 2];
        for (int i = 0; i < hz.length; i++) hz[i] = 700 * (Math.pow(10, (lowMel + (highMel - lowMel) * i / (bands + 1)) / 2595) - 1);
        double[] out = new double[bands];
        for (int b = 0; b < bands; b++) {
            double sum = 0;
            for (int k = 0; k <= fft / 2; k++) {
                double f = k * 16000.0 / fft;
                double up = (f - hz[b]) / (hz[b + 1] - hz[b]), down = (hz[b + 2] - f) / (hz[b + 2] - hz[b + 1]);
                sum += Math.max(0, Math.min(up, down)) * power[k];
            }
            out[b] = Math.log(Math.max(sum, 1e-10));
        }
        return out;
    }

    /** Compares every band that carries real energy (within 80 dB of the frame's loudest band). */
    private static void assertMatchesReference(float[] signal16k, Output features, String what, int atLeast) {
        double worst = 0;
        int compared = 0;
        for (int f = 0; f < features.size(); f += 3) {
            double[] expected = referenceLogMel(signal16k, f * 160, 80, 20, 7600);
            double loudest = java.util.Arrays.stream(expected).max().orElseThrow();
            for (int b = 0; b < 80; b++) {
                if (expected[b] < loudest - Math.log(1e8) || expected[b] < Math.log(1e-7)) continue;
                worst = Math.max(worst, Math.abs(expected[b] - features.frames()[f][b]));
                compared++;
            }
        }
        assertTrue(compared >= atLeast, what + ": compared " + compared + " values");
        System.out.printf("%s: %d log-mel values compared with a direct DFT, worst difference %.2e%n", what, compared, worst);
        assertTrue(worst < 2e-3, what + ": worst log-mel difference " + worst);
    }

    @Test
    void logMelMatchesADirectDftOnAToneAndOnRealSpeech() throws AudioException {
        float[] tone = TestAudio.tone(1000, 0.5, 16000, 16000);
        byte[] toneWav = TestAudio.wav16(tone, 16000, 1);
        Output toneFeatures = StreamingFeatureExtractor.extractAll(LOG_MEL, PcmDecoder.wav(), toneWav);
        assertEquals(1 + (16000 - 400) / 160, toneFeatures.size(), "frames of one second: snip edges, 25 ms every 10 ms");
        assertMatchesReference(TestAudio.samplesOfSimpleWav(toneWav), toneFeatures, "1 kHz tone", 500);
        // the tone's band is the loudest one
        double[] edges = MelSpectrum.melEdgesHz(80, 20, 7600);
        float[] middle = toneFeatures.frames()[50];
        int loudest = 0;
        for (int b = 1; b < 80; b++) if (middle[b] > middle[loudest]) loudest = b;
        assertTrue(edges[loudest] < 1000 && 1000 < edges[loudest + 2], "band " + loudest + " spans 1 kHz");

        byte[] speech = TestAudio.resource("goforward-16k.wav");
        assertMatchesReference(TestAudio.samplesOfSimpleWav(speech),
                StreamingFeatureExtractor.extractAll(LOG_MEL, PcmDecoder.wav(), speech), "go forward (human speech)", 5000);
    }

    @Test
    void mfccOptionComesFromTarsosDsp() throws AudioException {
        byte[] speech = TestAudio.resource("goforward-16k.wav");
        Output mfcc = StreamingFeatureExtractor.extractAll(FeatureConfig.mfcc(), PcmDecoder.wav(), speech);
        float[] x = TestAudio.samplesOfSimpleWav(speech);
        be.tarsos.dsp.mfcc.MFCC tarsos = new be.tarsos.dsp.mfcc.MFCC(400, 16000, 13, 40, 133.33f, 6855.5f);
        for (int f = 0; f < mfcc.size(); f += 7) {
            float[] window = java.util.Arrays.copyOfRange(x, f * 160, f * 160 + 400);
            float[] expected = tarsos.cepCoefficients(tarsos.nonLinearTransformation(
                    tarsos.melFilter(tarsos.magnitudeSpectrum(window), tarsos.getCenterFrequencies())));
            assertArrayEquals(expected, mfcc.frames()[f], 1e-4f, "frame " + f);
        }
        assertEquals(13, mfcc.frames()[0].length);
    }

    @Test
    void runningNormalizationCentresEachBand() throws AudioException {
        byte[] speech = TestAudio.resource("goforward-16k.wav");
        Output normalised = StreamingFeatureExtractor.extractAll(LOG_MEL.withNormalization(true), PcmDecoder.wav(), speech);
        int bands = 80, frames = normalised.size();
        for (int b = 0; b < bands; b += 9) {
            double sum = 0, squares = 0;
            for (int f = frames / 2; f < frames; f++) { sum += normalised.frames()[f][b]; squares += normalised.frames()[f][b] * normalised.frames()[f][b]; }
            int n = frames - frames / 2;
            double mean = sum / n, sd = Math.sqrt(squares / n - mean * mean);
            assertTrue(Math.abs(mean) < 1.0 && sd > 0.2 && sd < 3, "band " + b + ": mean " + mean + ", sd " + sd);
        }
    }

    // ---------------------------------------------------------------- voice activity

    @Test
    void voiceActivityFindsUtterancesAndBridgesShortPauses() throws AudioException {
        int rate = 16000;
        float[] x = TestAudio.noise(0.001, 5 * rate, 11);   // -60 dBFS room noise throughout
        float[] speechLike = TestAudio.noise(0.2, 5 * rate, 12);
        // utterance 1: 0.5 s .. 1.5 s with a 100 ms pause at 1.0 s (shorter than the hangover); utterance 2: 2.5 s .. 3.0 s
        int[][] loud = {{8000, 16000}, {17600, 24000}, {40000, 48000}};
        for (int[] span : loud) for (int n = span[0]; n < span[1]; n++) x[n] += speechLike[n] * (float) Math.abs(Math.sin(2 * Math.PI * 4 * n / rate) + 0.3);
        Output out = StreamingFeatureExtractor.extractAll(LOG_MEL, PcmDecoder.wav(), TestAudio.wav16(x, rate, 1));
        List<Event> events = out.events();
        assertEquals(4, events.size(), "two utterances: " + events);
        assertEquals(Event.Type.SPEECH_START, events.get(0).type());
        assertEquals(0.5, events.get(0).seconds(), 0.05);
        assertEquals(Event.Type.SPEECH_END, events.get(1).type());
        assertEquals(1.5, events.get(1).seconds(), 0.05);
        assertEquals(2.5, events.get(2).seconds(), 0.05);
        assertEquals(3.0, events.get(3).seconds(), 0.05);
    }

    @Test
    void voiceActivityOnRealSpeechClosesAtTheEnd() throws AudioException {
        Output out = StreamingFeatureExtractor.extractAll(LOG_MEL, PcmDecoder.wav(), TestAudio.resource("goforward-16k.wav"));
        List<Event> events = new ArrayList<>(out.events());
        assertTrue(events.size() >= 2 && events.size() % 2 == 0, "starts and ends pair up: " + events);
        assertEquals(Event.Type.SPEECH_START, events.get(0).type());
        double first = events.get(0).seconds(), last = events.get(events.size() - 1).seconds();
        assertTrue(first > 0.1 && first < 1.0, "speech starts after the leading silence: " + events);
        assertTrue(last > 2.0 && last <= 2.8, "speech ends near the end: " + events);
    }

    // ---------------------------------------------------------------- bad input surfaces as typed errors

    @Test
    void badInputGetsATypedErrorFromTheExtractor() {
        byte[] good = TestAudio.wav16(TestAudio.tone(440, 0.5, 16000, 4000), 16000, 1);
        assertKind(AudioException.Kind.TRUNCATED_HEADER, PcmDecoder.Encoding.WAV, java.util.Arrays.copyOf(good, 30));
        byte[] garbled = good.clone();
        garbled[8] = 'X';
        assertKind(AudioException.Kind.GARBLED_HEADER, PcmDecoder.Encoding.WAV, garbled);
        assertKind(AudioException.Kind.TRAILING_BYTES, PcmDecoder.Encoding.S16LE, new byte[] {1, 2, 3});
        assertKind(AudioException.Kind.EMPTY_STREAM, PcmDecoder.Encoding.S16LE, new byte[0]);
        byte[] nan = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0.5f).putFloat(Float.NaN).array();
        assertKind(AudioException.Kind.NON_FINITE_SAMPLE, PcmDecoder.Encoding.F32LE, nan);
        AudioException rate = assertThrows(AudioException.class, () -> StreamingFeatureExtractor.create(LOG_MEL, PcmDecoder.Encoding.S16LE, 0, 1));
        assertEquals(AudioException.Kind.BAD_SAMPLE_RATE, rate.kind());
        AudioException channels = assertThrows(AudioException.class, () -> StreamingFeatureExtractor.create(LOG_MEL, PcmDecoder.Encoding.S16LE, 16000, 0));
        assertEquals(AudioException.Kind.BAD_CHANNEL_COUNT, channels.kind());
        AudioException encoding = assertThrows(AudioException.class, () -> PcmDecoder.Encoding.parse("mp3"));
        assertEquals(AudioException.Kind.UNSUPPORTED_ENCODING, encoding.kind());
    }

    private static void assertKind(AudioException.Kind kind, PcmDecoder.Encoding encoding, byte[] bytes) {
        AudioException e = assertThrows(AudioException.class, () -> {
            StreamingFeatureExtractor extractor = StreamingFeatureExtractor.create(LOG_MEL, encoding, 16000, 1);
            extractor.push(bytes);
            extractor.finish();
        });
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
