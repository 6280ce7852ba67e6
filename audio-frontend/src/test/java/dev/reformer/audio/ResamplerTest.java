package dev.reformer.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResamplerTest {

    /** The rates the issue names, and an odd one whose 16000 phases are interpolated from 513 rows. */
    static final int[] RATES = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 44101};

    static float[] whole(int rate, float[] x) throws AudioException {
        Resampler r = new Resampler(rate);
        float[] a = r.push(x, 0, x.length), b = r.finish();
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Least-squares amplitude of a sinusoid at hz in y[from, to) sampled at 16 kHz, and the RMS of what is left. */
    static double[] fit(float[] y, double hz, int from, int to) {
        double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
        for (int n = from; n < to; n++) {
            double s = Math.sin(2 * Math.PI * hz * n / 16000), c = Math.cos(2 * Math.PI * hz * n / 16000);
            ss += s * s; cc += c * c; sc += s * c; ys += y[n] * s; yc += y[n] * c;
        }
        double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
        double residual = 0;
        for (int n = from; n < to; n++) {
            double r = y[n] - a * Math.sin(2 * Math.PI * hz * n / 16000) - b * Math.cos(2 * Math.PI * hz * n / 16000);
            residual += r * r;
        }
        return new double[]{Math.hypot(a, b), Math.sqrt(residual / (to - from))};
    }

    static double db(double ratio) {
        return 20 * Math.log10(Math.max(ratio, 1e-12));
    }

    /**
     * Measured, per input rate: the worst passband gain error over tones up to 0.875 of the lower Nyquist, and
     * the worst rejection of what must not reach the output: tones above 8.4 kHz (they would alias below 7.6 kHz,
     * into the mel filters) when downsampling, images of passband tones when upsampling.
     */
    @Test
    void passbandIsFlatAndAliasesAndImagesAreRejected() throws AudioException {
        double amplitude = 0.5, rms = amplitude / Math.sqrt(2);
        StringBuilder table = new StringBuilder("| input rate | passband | worst passband error | rejected | worst rejection |\n|---:|---|---:|---|---:|\n");
        for (int rate : RATES) {
            double nyquist = Math.min(rate, 16000) / 2.0, passEdge = 0.875 * nyquist;
            double worstPass = 0, worstReject = Double.NEGATIVE_INFINITY;
            for (double hz = 100; hz <= passEdge + 1e-9; hz += passEdge > 5000 ? 300 : 200) {
                float[] y = whole(rate, TestAudio.tone(hz, amplitude, rate, rate));
                double[] f = fit(y, hz, 4000, 12000);
                worstPass = Math.max(worstPass, Math.abs(db(f[0] / amplitude)));
                if (rate < 16000) worstReject = Math.max(worstReject, db(f[1] / rms));    // images and any distortion
            }
            for (double hz = passEdge; hz <= passEdge + 1e-9; hz += 1) {   // the passband edge itself
                worstPass = Math.max(worstPass, Math.abs(db(fit(whole(rate, TestAudio.tone(hz, amplitude, rate, rate)), hz, 4000, 12000)[0] / amplitude)));
            }
            double leak = Double.NEGATIVE_INFINITY;
            if (rate > 16000) {
                for (double hz = 8400; hz < 0.95 * rate / 2; hz += 350) {
                    float[] y = whole(rate, TestAudio.tone(hz, amplitude, rate, rate));
                    double sum = 0;
                    for (int n = 4000; n < 12000; n++) sum += y[n] * y[n];
                    worstReject = Math.max(worstReject, db(Math.sqrt(sum / 8000) / rms));
                }
                // tones of 8 to 8.4 kHz may alias, but only above 7.6 kHz, where no mel filter reads
                for (double hz = 8000; hz < 8400; hz += 50) {
                    float[] y = whole(rate, TestAudio.tone(hz, amplitude, rate, rate));
                    for (double below = 100; below <= Resampler.PROTECTED_HZ; below += 100) {
                        leak = Math.max(leak, db(fit(y, below, 4000, 12000)[0] / amplitude));
                    }
                }
                assertTrue(leak <= -60, rate + " Hz: a tone of 8 to 8.4 kHz shows below 7.6 kHz at " + leak + " dB");
            }
            String rejected = rate > 16000 ? "tones 8.4 kHz .. " + (int) (0.95 * rate / 2) / 1000 + " kHz (aliases below 7.6 kHz)"
                    : rate < 16000 ? "images of passband tones" : "(pass-through)";
            table.append(String.format(Locale.ROOT, "| %d | 100 Hz .. %.0f Hz | %.4f dB | %s | %s |%n", rate, passEdge, worstPass,
                    rejected, rate == 16000 ? "-" : String.format(Locale.ROOT, "%.1f dB", worstReject)));
            assertTrue(worstPass <= 0.1, rate + " Hz: passband error " + worstPass + " dB");
            if (rate != 16000) assertTrue(worstReject <= -60, rate + " Hz: rejection only " + worstReject + " dB");
        }
        System.out.print(table);
    }

    @Test
    void theVectorDotProductGivesTheScalarOnesBits() {
        Random random = new Random(4);
        for (int trial = 0; trial < 2000; trial++) {
            int width = 8 * (1 + random.nextInt(40));
            float[] taps = new float[width + 5], x = new float[width + 9];
            for (int i = 0; i < taps.length; i++) taps[i] = (float) random.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            int t = random.nextInt(5), f = random.nextInt(9);
            assertEquals(Float.floatToIntBits(Resampler.scalarDot(taps, t, x, f, width)), Float.floatToIntBits(VectorDot.dot(taps, t, x, f, width)));
        }
        assertTrue(Resampler.VECTOR, "the tests run with the Vector API module, so the resampler uses it");
    }

    @Test
    void sixteenKilohertzPassesThroughUnchanged() throws AudioException {
        float[] x = TestAudio.noise(0.3, 1234, 5);
        assertArrayEquals(x, whole(16000, x));
    }

    @Test
    void outputIsAlignedInTimeWithTheInput() throws AudioException {
        for (int rate : new int[]{8000, 44100, 48000}) {
            float[] y = whole(rate, TestAudio.tone(1000, 0.5, rate, rate));
            for (int n = 2000; n < 14000; n++) {
                assertEquals(0.5 * Math.sin(2 * Math.PI * 1000 * n / 16000), y[n], 1e-3, rate + " Hz, output " + n);
            }
        }
    }

    @Test
    void streamHasCeilOfTheScaledLength() throws AudioException {
        for (int rate : RATES) {
            for (int n : new int[]{0, 1, 2, 3, 7, 1000, rate + 1}) {
                assertEquals((long) Math.ceil(n * 16000.0 / rate), whole(rate, new float[n]).length, rate + " Hz, " + n + " samples");
            }
        }
    }

    private static byte[] save(Resampler r) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.writeState(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    @Test
    void anyChunkingAndAnyRestoreGiveBitIdenticalOutput() throws Exception {
        for (int rate : new int[]{8000, 11025, 22050, 44100, 48000, 96000, 12345}) {
            float[] x = TestAudio.noise(0.2, rate / 2 + 17, rate);
            float[] expected = whole(rate, x);
            Random random = new Random(rate);
            for (int trial = 0; trial < 4; trial++) {
                Resampler r = new Resampler(rate);
                List<Float> out = new ArrayList<>();
                int maxState = 0;
                for (int at = 0; at < x.length; ) {
                    int n = Math.min(x.length - at, trial == 0 ? 1 : 1 + random.nextInt(trial == 1 ? 5 : 3000));
                    for (float v : r.push(x, at, n)) out.add(v);
                    at += n;
                    if (trial >= 2 && random.nextInt(4) == 0) {
                        byte[] state = save(r);
                        maxState = Math.max(maxState, state.length);
                        r = Resampler.readState(new DataInputStream(new ByteArrayInputStream(state)));
                    }
                }
                for (float v : r.finish()) out.add(v);
                float[] actual = new float[out.size()];
                for (int i = 0; i < actual.length; i++) actual[i] = out.get(i);
                assertArrayEquals(expected, actual, rate + " Hz, trial " + trial);
                assertTrue(maxState < 16 * 1024, rate + " Hz: state of " + maxState + " bytes");
            }
        }
    }

    @Test
    void badRatesAndBadStatesAreTypedErrors() {
        for (int rate : new int[]{0, -1, 384_001}) {
            AudioException e = assertThrows(AudioException.class, () -> new Resampler(rate));
            assertEquals(AudioException.Kind.BAD_SAMPLE_RATE, e.kind());
            assertTrue(e.getMessage().contains("384000"), e.getMessage());
        }
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            if (trial % 2 == 0 && junk.length > 8) { junk[0] = 0; junk[1] = 0; junk[2] = 0; junk[3] = 1; }
            try {
                Resampler.readState(new DataInputStream(new ByteArrayInputStream(junk)));
            } catch (AudioException e) {
                assertTrue(e.kind() == AudioException.Kind.BAD_STATE || e.kind() == AudioException.Kind.BAD_SAMPLE_RATE, e.kind().name());
            } catch (IOException expected) {
                // the bytes ran out: as good as a typed error for a caller that reads a state
            }
        }
    }
}
