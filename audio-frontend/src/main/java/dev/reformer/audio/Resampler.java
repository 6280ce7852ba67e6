package dev.reformer.audio;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Streaming resampler from any rate up to 384 kHz to 16 kHz: a rational polyphase filter.
 *
 * <h2>Filter design</h2>
 * With N = min(input rate, 16000) / 2 the lower of the two Nyquist frequencies, the prototype low-pass is a
 * Kaiser-windowed sinc with
 * <ul>
 *   <li>passband edge 0.875 N (7 kHz when downsampling to 16 kHz, 3.5 kHz from 8 kHz),</li>
 *   <li>stopband edge, when downsampling, at 8.4 kHz = 16 kHz - {@link #PROTECTED_HZ}: a tone above it would alias
 *       below 7.6 kHz, where the mel filters read, so it is removed; a tone between 8 and 8.4 kHz aliases to 7.6 to
 *       8 kHz, which no feature reads. That wider transition (1.4 kHz instead of 1 kHz) makes the filter 30 %
 *       shorter. When upsampling (8 or 11.025 kHz input) the stopband edge is the input's Nyquist, N, so that no
 *       image appears anywhere;</li>
 *   <li>cutoff in the middle of the transition;</li>
 *   <li>stopband attenuation A = 80 dB, so Kaiser's beta = 0.1102 (A - 8.7) = 7.857, and the filter spans
 *       D = (A - 7.95) / (2.285 * 2 pi * transition) seconds (Kaiser's length formula): 3.6 ms when downsampling,
 *       173 taps per output sample at 48 kHz.</li>
 * </ul>
 * Output sample k sits at time k / 16000 s, i.e. at input position k * M / L with L / M = 16000 / rate reduced;
 * the filter is centred there (zero delay), so it needs inputs up to half the span ahead. Its taps depend only on
 * the fractional part of that position, one of L phases; each phase's taps are computed once per rate, shared
 * by every stream, and scaled to sum to exactly 1 (no DC error, no gain ripple between phases). Rates with more
 * than 512 phases (odd rates such as 44101 Hz) interpolate between 513 rows instead, so the table stays small.
 * {@code ResamplerTest} measures passband error and aliasing rejection for 8 to 48 kHz input.
 *
 * <h2>Streaming</h2>
 * Each output is computed from the same inputs in the same order however the input was split, so outputs are
 * bit-identical for any chunking and across {@link #writeState} / {@link #readState}. The state is the filter's
 * history (under 2 * half-span input samples) and two counters. At {@link #finish()} the missing future is
 * zeros, and the stream has ceil(inputs * 16000 / rate) outputs. 16 kHz input passes through unchanged.
 */
public final class Resampler {
    public static final int TARGET_RATE = 16_000;

    /** The highest frequency the features read (the top of the last mel filter): aliases must stay above it. */
    public static final double PROTECTED_HZ = 7600;
    private static final double ATTENUATION_DB = 80;
    private static final double KAISER_BETA = 0.1102 * (ATTENUATION_DB - 8.7);
    private static final int STATE_VERSION = 1;

    /**
     * The phase table of one input rate: taps[row * width + i] weighs input n0 - half + 1 + i for the fraction
     * row / rows. With rows == up every phase has its own exact row. A rate with more phases than MAX_ROWS (an odd
     * rate such as 44101 Hz: 16000 phases) keeps MAX_ROWS + 1 rows and interpolates linearly between the two
     * nearest, so no declared rate can make the table large.
     */
    private record Filter(int up, int down, int half, int rows, boolean interpolated, float[] taps) {
        int width() { return 2 * half; }
    }

    private static final int MAX_ROWS = 512;

    private static final Map<Integer, Filter> FILTERS = new ConcurrentHashMap<>();

    private final int inputRate;
    private final Filter filter;            // null when passing through
    /** Input samples from absolute index bufferStart on (negative indexes are the silence before the stream). */
    private float[] buffer;
    private int bufferLength;
    private long bufferStart;
    private long received;
    private long produced;
    private boolean finished;

    public Resampler(int inputRate) throws AudioException {
        AudioException.checkSampleRate(inputRate);
        this.inputRate = inputRate;
        this.filter = inputRate == TARGET_RATE ? null : FILTERS.computeIfAbsent(inputRate, Resampler::design);
        int half = filter == null ? 0 : filter.half();
        this.buffer = new float[Math.max(16, 4 * half)];
        this.bufferLength = half;               // `half` zeros stand for the time before the first sample
        this.bufferStart = -half;
    }

    public int inputRate() {
        return inputRate;
    }

    private static Filter design(int inputRate) {
        int gcd = gcd(TARGET_RATE, inputRate);
        int up = TARGET_RATE / gcd, down = inputRate / gcd;
        double nyquist = Math.min(inputRate, TARGET_RATE) / 2.0;
        double passEdge = 0.875 * nyquist, stopEdge = inputRate > TARGET_RATE ? TARGET_RATE - PROTECTED_HZ : nyquist;
        double transition = stopEdge - passEdge, cutoff = (passEdge + stopEdge) / 2;
        double spanSeconds = (ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * transition);
        double halfSpanSamples = spanSeconds / 2 * inputRate;      // in input samples
        int half = (int) Math.ceil(halfSpanSamples) + 1;
        half = (half + 3) / 4 * 4;                                  // width a multiple of 8: whole vectors, the extra taps are 0
        int width = 2 * half;
        boolean interpolated = up > MAX_ROWS;
        int rows = interpolated ? MAX_ROWS : up;
        float[] taps = new float[(interpolated ? rows + 1 : rows) * width];
        double fc = cutoff / inputRate;                             // cycles per input sample
        double i0Beta = besselI0(KAISER_BETA);
        for (int phase = 0; phase < taps.length / width; phase++) {
            double fraction = (double) phase / rows;                // output position minus n0, in input samples
            double[] w = new double[width];
            double sum = 0;
            for (int i = 0; i < width; i++) {
                double delta = fraction + half - 1 - i;             // output position minus this input's index
                double x = delta / halfSpanSamples;
                if (Math.abs(x) >= 1) continue;
                double sinc = delta == 0 ? 1 : Math.sin(2 * Math.PI * fc * delta) / (2 * Math.PI * fc * delta);
                w[i] = 2 * fc * sinc * besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / i0Beta;
                sum += w[i];
            }
            for (int i = 0; i < width; i++) taps[phase * width + i] = (float) (w[i] / sum);
        }
        return new Filter(up, down, half, rows, interpolated, taps);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** Modified Bessel function of the first kind, order 0 (its power series converges fast for beta < 20). */
    private static double besselI0(double x) {
        double sum = 1, term = 1, quarter = x * x / 4;
        for (int k = 1; k < 200 && term > 1e-17 * sum; k++) {
            term *= quarter / ((double) k * k);
            sum += term;
        }
        return sum;
    }

    public float[] push(float[] samples, int offset, int length) {
        if (finished) throw new IllegalStateException("push after finish");
        received += length;
        if (filter == null) {
            produced += length;
            return java.util.Arrays.copyOfRange(samples, offset, offset + length);
        }
        append(samples, offset, length);
        return produce(Long.MAX_VALUE);
    }

    /** End of stream: the outputs that needed inputs past the end, with those inputs taken as zeros. */
    public float[] finish() {
        if (finished) throw new IllegalStateException("finish called twice");
        finished = true;
        if (filter == null) return new float[0];
        long total = (received * filter.up() + filter.down() - 1) / filter.down();
        append(new float[filter.half() + 1], 0, filter.half() + 1);
        return produce(total);
    }

    private void append(float[] samples, int offset, int length) {
        if (bufferLength + length > buffer.length) {
            buffer = java.util.Arrays.copyOf(buffer, Math.max(2 * buffer.length, bufferLength + length));
        }
        System.arraycopy(samples, offset, buffer, bufferLength, length);
        bufferLength += length;
    }

    /** Every output whose inputs are all in the buffer, up to a total of {@code limit}; then drops spent inputs. */
    private float[] produce(long limit) {
        int up = filter.up(), down = filter.down(), half = filter.half(), width = filter.width();
        float[] taps = filter.taps();
        long available = bufferStart + bufferLength;                // inputs with index < available are here
        // output k is ready when n0(k) + half < available, n0(k) = floor(k * down / up)
        long last = Math.floorDiv((available - half) * up - 1, down); // the largest k with k * down / up < available - half
        long end = Math.min(limit, last + 1);
        int count = (int) Math.max(0, end - produced);
        float[] out = new float[count];
        for (int j = 0; j < count; j++) {
            long k = produced + j;
            long position = k * down;
            long n0 = position / up;
            int phase = (int) (position - n0 * up);
            int from = (int) (n0 - half + 1 - bufferStart);
            if (!filter.interpolated()) {
                out[j] = dot(taps, phase * width, buffer, from, width);
            } else {
                double at = (double) phase * filter.rows() / up;
                int row = (int) at;
                float t = (float) (at - row);
                out[j] = (1 - t) * dot(taps, row * width, buffer, from, width) + t * dot(taps, (row + 1) * width, buffer, from, width);
            }
        }
        produced += count;
        long keepFrom = Math.floorDiv(produced * down, up) - half + 1;  // first input the next output needs
        int drop = (int) Math.max(0, Math.min(bufferLength, keepFrom - bufferStart));
        if (drop > 0) {
            System.arraycopy(buffer, drop, buffer, 0, bufferLength - drop);
            bufferLength -= drop;
            bufferStart += drop;
        }
        return out;
    }

    /**
     * Whether the dot product runs on the Vector API: only when the jdk.incubator.vector module is present (the
     * launcher and the tests add it; Flink TaskManagers need it in env.java.opts.all for this speed) and 256-bit
     * vectors are native. Both ways give the same bits, so this changes speed only.
     */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorDotGate.fast();

    /** Touches VectorDot only when the module is there: loading it without the module would fail. */
    private static final class VectorDotGate {
        static boolean fast() {
            return VectorDot.FAST;
        }
    }

    private static float dot(float[] taps, int tapFrom, float[] x, int from, int width) {
        return VECTOR ? VectorDot.dot(taps, tapFrom, x, from, width) : scalarDot(taps, tapFrom, x, from, width);
    }

    /**
     * The filter's dot product with eight independent sums, so additions overlap instead of waiting on each other;
     * the order is fixed, so the result never depends on where the input was split. width is a multiple of 8, so
     * lane l of {@link VectorDot} holds exactly sum l.
     */
    static float scalarDot(float[] taps, int tapFrom, float[] x, int from, int width) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int i = 0;
        for (; i + 7 < width; i += 8) {
            a0 += taps[tapFrom + i] * x[from + i];
            a1 += taps[tapFrom + i + 1] * x[from + i + 1];
            a2 += taps[tapFrom + i + 2] * x[from + i + 2];
            a3 += taps[tapFrom + i + 3] * x[from + i + 3];
            a4 += taps[tapFrom + i + 4] * x[from + i + 4];
            a5 += taps[tapFrom + i + 5] * x[from + i + 5];
            a6 += taps[tapFrom + i + 6] * x[from + i + 6];
            a7 += taps[tapFrom + i + 7] * x[from + i + 7];
        }
        for (; i < width; i++) a0 += taps[tapFrom + i] * x[from + i];
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }

    public void writeState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(inputRate);
        out.writeLong(received);
        out.writeLong(produced);
        out.writeBoolean(finished);
        out.writeLong(bufferStart);
        out.writeInt(bufferLength);
        for (int i = 0; i < bufferLength; i++) out.writeFloat(buffer[i]);
    }

    public static Resampler readState(DataInput in) throws IOException, AudioException {
        int version = in.readInt();
        if (version != STATE_VERSION) throw bad("resampler state version " + version + ", this build reads " + STATE_VERSION);
        int rate = in.readInt();
        if (rate <= 0 || rate > AudioException.MAX_SAMPLE_RATE) throw bad("sample rate " + rate);
        Resampler r = new Resampler(rate);
        r.received = in.readLong();
        r.produced = in.readLong();
        r.finished = in.readBoolean();
        r.bufferStart = in.readLong();
        int length = in.readInt();
        int limit = r.filter == null ? 0 : 4 * r.filter.width() + 1_000_000;
        if (r.received < 0 || r.produced < 0 || length < 0 || length > limit) throw bad("counters out of range");
        r.buffer = new float[Math.max(r.buffer.length, length)];
        for (int i = 0; i < length; i++) r.buffer[i] = in.readFloat();
        r.bufferLength = length;
        return r;
    }

    private static AudioException bad(String why) {
        return new AudioException(AudioException.Kind.BAD_STATE, "cannot restore the resampler: " + why);
    }
}
