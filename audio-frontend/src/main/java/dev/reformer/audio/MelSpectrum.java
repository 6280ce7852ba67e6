package dev.reformer.audio;

import be.tarsos.dsp.mfcc.MFCC;
import be.tarsos.dsp.util.fft.FFT;

/**
 * One frame of features from one 25 ms window of 16 kHz samples: Hann window, zero-pad to 512, power
 * spectrum by TarsosDSP's FFT, triangular mel filters (HTK mel scale), natural log with a floor — or,
 * for {@link FeatureConfig.Kind#MFCC}, TarsosDSP's own MFCC chain on the same window.
 *
 * Stateless between frames (everything here is a function of the window), which is what makes the
 * streaming extractor's output independent of how the audio was chunked. Not thread-safe: the FFT and
 * the buffers are reused; each stream's extractor owns one.
 */
public final class MelSpectrum {

    private final FeatureConfig config;
    private final float[] window = hann(FeatureConfig.WINDOW);
    private final FFT fft = new FFT(FeatureConfig.FFT_SIZE);
    private final float[] fftBuffer = new float[FeatureConfig.FFT_SIZE];
    private final float[] power = new float[FeatureConfig.FFT_SIZE / 2 + 1];
    /** filters[b] = weights of band b over bins firstBin[b] .. firstBin[b] + filters[b].length - 1. */
    private final float[][] filters;
    private final int[] firstBin;
    private final MFCC tarsosMfcc;

    public MelSpectrum(FeatureConfig config) {
        this.config = config;
        int bands = config.melBands();
        filters = new float[bands][];
        firstBin = new int[bands];
        double[] edgesHz = melEdgesHz(bands, config.lowHz(), config.highHz());
        double binHz = (double) FeatureConfig.SAMPLE_RATE / FeatureConfig.FFT_SIZE;
        for (int b = 0; b < bands; b++) {
            double left = edgesHz[b], centre = edgesHz[b + 1], right = edgesHz[b + 2];
            int from = (int) Math.ceil(left / binHz), to = (int) Math.floor(right / binHz);
            firstBin[b] = from;
            filters[b] = new float[Math.max(0, to - from + 1)];
            for (int k = from; k <= to; k++) {
                double f = k * binHz;
                double w = f <= centre ? (f - left) / (centre - left) : (right - f) / (right - centre);
                filters[b][k - from] = (float) Math.max(0, w);
            }
        }
        tarsosMfcc = config.kind() == FeatureConfig.Kind.MFCC
                ? new MFCC(FeatureConfig.WINDOW, FeatureConfig.SAMPLE_RATE, config.mfccCoefficients(), bands,
                           (float) config.lowHz(), (float) config.highHz())
                : null;
    }

    /** HTK mel scale. */
    public static double hzToMel(double hz) {
        return 2595.0 * Math.log10(1.0 + hz / 700.0);
    }

    public static double melToHz(double mel) {
        return 700.0 * (Math.pow(10.0, mel / 2595.0) - 1.0);
    }

    /** bands + 2 frequencies equally spaced in mel: band b rises from edge b, peaks at b + 1, falls to b + 2. */
    public static double[] melEdgesHz(int bands, double lowHz, double highHz) {
        double lowMel = hzToMel(lowHz), highMel = hzToMel(highHz);
        double[] edges = new double[bands + 2];
        for (int i = 0; i < edges.length; i++) edges[i] = melToHz(lowMel + (highMel - lowMel) * i / (bands + 1));
        return edges;
    }

    /** Periodic Hann window, the usual choice for overlapping analysis frames. */
    static float[] hann(int length) {
        float[] w = new float[length];
        for (int n = 0; n < length; n++) w[n] = (float) (0.5 - 0.5 * Math.cos(2 * Math.PI * n / length));
        return w;
    }

    /**
     * Features of the window {@code samples[offset .. offset + 400)} into {@code out[0 .. dimension)}.
     * Returns the window's energy in dB relative to full scale (mean square), which voice activity uses.
     */
    public double compute(float[] samples, int offset, float[] out) {
        double sumSquares = 0;
        for (int n = 0; n < FeatureConfig.WINDOW; n++) {
            float x = samples[offset + n];
            sumSquares += (double) x * x;
        }
        double energyDb = 10 * Math.log10(sumSquares / FeatureConfig.WINDOW + 1e-10);
        if (tarsosMfcc != null) {
            float[] frame = new float[FeatureConfig.WINDOW];   // TarsosDSP transforms it in place
            System.arraycopy(samples, offset, frame, 0, frame.length);
            float[] cepstrum = tarsosMfcc.cepCoefficients(tarsosMfcc.nonLinearTransformation(
                    tarsosMfcc.melFilter(tarsosMfcc.magnitudeSpectrum(frame), tarsosMfcc.getCenterFrequencies())));
            System.arraycopy(cepstrum, 0, out, 0, config.mfccCoefficients());
            return energyDb;
        }
        for (int n = 0; n < FeatureConfig.WINDOW; n++) fftBuffer[n] = samples[offset + n] * window[n];
        java.util.Arrays.fill(fftBuffer, FeatureConfig.WINDOW, fftBuffer.length, 0f);
        fft.forwardTransform(fftBuffer);
        // TarsosDSP packs the real FFT as [Re0, Re(N/2), Re1, Im1, Re2, Im2, ...]
        int half = FeatureConfig.FFT_SIZE / 2;
        power[0] = fftBuffer[0] * fftBuffer[0];
        power[half] = fftBuffer[1] * fftBuffer[1];
        for (int k = 1; k < half; k++) {
            float re = fftBuffer[2 * k], im = fftBuffer[2 * k + 1];
            power[k] = re * re + im * im;
        }
        double floor = config.logFloor();
        for (int b = 0; b < filters.length; b++) {
            float[] weights = filters[b];
            int from = firstBin[b];
            float energy = 0;
            for (int i = 0; i < weights.length; i++) energy += weights[i] * power[from + i];
            out[b] = (float) Math.log(Math.max(energy, floor));
        }
        return energyDb;
    }
}
