package dev.reformer.task;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.MelSpectrum;
import java.util.Arrays;
import java.util.List;

/** Statistics of the training set's front-end frames that a model stores to standardise its input. */
public final class FeatureStats {
    private FeatureStats() {}

    /** Per-band standard deviation of the training frames around each clip's own band means (what --centre divides by). */
    public static float[] centredStd(List<float[][]> clips, int bands) {
        double[] squares = new double[bands];
        long n = 0;
        for (float[][] frames : clips) {
            float[] mean = meanAndStd(List.<float[][]>of(frames), bands)[0];
            for (float[] f : frames) for (int b = 0; b < bands; b++) squares[b] += (double) (f[b] - mean[b]) * (f[b] - mean[b]);
            n += frames.length;
        }
        float[] std = new float[bands];
        for (int b = 0; b < bands; b++) std[b] = (float) Math.max(1e-3, Math.sqrt(n == 0 ? 1 : squares[b] / n));
        return std;
    }

    /** Per-band mean and standard deviation over every frame of the training set. */
    public static float[][] meanAndStd(List<float[][]> sets, int bands) {
        double[] sum = new double[bands], squares = new double[bands];
        long n = 0;
        for (float[][] frames : sets) {
            for (float[] f : frames) {
                for (int b = 0; b < bands; b++) { sum[b] += f[b]; squares[b] += (double) f[b] * f[b]; }
                n++;
            }
        }
        float[] mean = new float[bands], std = new float[bands];
        for (int b = 0; b < bands; b++) {
            double m = n == 0 ? 0 : sum[b] / n;
            mean[b] = (float) m;
            std[b] = (float) Math.max(1e-3, Math.sqrt(Math.max(0, n == 0 ? 1 : squares[b] / n - m * m)));
        }
        return new float[][]{mean, std};
    }

    /** The log-mel bands' centre frequencies: the peaks of the front-end's mel filters. */
    public static double[] bandCentresHz(FeatureConfig features) {
        if (features.kind() != FeatureConfig.Kind.LOG_MEL) throw new IllegalArgumentException("--voice-augment stretches log-mel bands, and these features are " + features.kind() + "; leave --voice-augment out");
        double[] edges = MelSpectrum.melEdgesHz(features.melBands(), features.lowHz(), features.highHz());
        return Arrays.copyOfRange(edges, 1, features.melBands() + 1);
    }
}
