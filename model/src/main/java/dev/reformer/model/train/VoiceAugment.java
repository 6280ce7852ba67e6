package dev.reformer.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Makes each training clip sound like another voice through another channel, afresh every batch, on its log-mel
 * features: the spectrum stretched along frequency by a factor (a longer or shorter vocal tract, vocal tract length
 * perturbation after Jaitly and Hinton, 2013), tilted (a brighter or duller channel) and raised or lowered (level).
 * Held-out speech engines differ from the training ones in exactly these ways more than in what is said.
 *
 * Examples hold standardised features ((log-mel - mean) / std per band, frames stacked per position); the
 * perturbation is applied to the log-mel values and the result standardised again. The examples given are not
 * changed; perturbed copies are returned.
 *
 * @param centreHz  each band's centre frequency (the front-end's mel filter peaks), rising
 * @param mean      the standardisation's mean per band
 * @param std       the standardisation's standard deviation per band
 * @param maxWarp   the stretch factor is drawn from [1 - maxWarp, 1 + maxWarp]
 * @param maxTilt   the tilt, in natural-log units from the lowest to the highest band, from [-maxTilt, maxTilt]
 * @param maxGain   the level change, in natural-log units, from [-maxGain, maxGain]
 */
public record VoiceAugment(double[] centreHz, float[] mean, float[] std, double maxWarp, double maxTilt, double maxGain)
        implements Trainer.Augmentation {

    public VoiceAugment {
        if (centreHz.length < 2) throw new IllegalArgumentException("a spectrum to stretch needs at least 2 bands, got " + centreHz.length);
        if (centreHz.length != mean.length || mean.length != std.length)
            throw new IllegalArgumentException("centreHz, mean and std need one value per band each");
        for (int b = 1; b < centreHz.length; b++) {
            if (!(centreHz[b] > centreHz[b - 1])) throw new IllegalArgumentException("band centres must rise; band " + b + " is at " + centreHz[b] + " Hz");
        }
        if (maxWarp < 0 || maxWarp >= 0.5) throw new IllegalArgumentException("maxWarp must be in [0, 0.5), got " + maxWarp);
        if (maxTilt < 0 || maxGain < 0) throw new IllegalArgumentException("maxTilt and maxGain are bounds, >= 0; got " + maxTilt + ", " + maxGain);
    }

    /** Stretch up to ±15 %, tilt up to ±1 (4.3 dB across the band range), level up to ±1.5 (6.5 dB). */
    public static VoiceAugment typical(double[] centreHz, float[] mean, float[] std) {
        return new VoiceAugment(centreHz, mean, std, 0.15, 1.0, 1.5);
    }

    @Override
    public List<Example> apply(List<Example> batch, Random random) {
        int bands = centreHz.length;
        List<Example> out = new ArrayList<>(batch.size());
        for (Example e : batch) {
            if (e.features() == null) {
                out.add(e);
                continue;
            }
            double warp = 1 + maxWarp * (2 * random.nextDouble() - 1);
            double tilt = maxTilt * (2 * random.nextDouble() - 1), gain = maxGain * (2 * random.nextDouble() - 1);
            // band b of the new voice takes what the old one had at centreHz[b] / warp: a fractional band index
            double[] sourceBand = new double[bands];
            for (int b = 0; b < bands; b++) sourceBand[b] = bandIndexOf(centreHz[b] / warp);
            float[][] perturbed = new float[e.features().length][];
            double[] logMel = new double[bands];
            for (int t = 0; t < perturbed.length; t++) {
                float[] position = e.features()[t];
                if (position.length % bands != 0) throw new IllegalArgumentException("a position holds " + position.length + " values, not frames of " + bands + " bands");
                perturbed[t] = new float[position.length];
                for (int frameStart = 0; frameStart < position.length; frameStart += bands) {
                    for (int b = 0; b < bands; b++) logMel[b] = position[frameStart + b] * std[b] + mean[b];
                    for (int b = 0; b < bands; b++) {
                        int below = (int) Math.floor(sourceBand[b]);
                        double above = sourceBand[b] - below;
                        double stretched = (1 - above) * logMel[below] + above * logMel[Math.min(below + 1, bands - 1)];
                        double shifted = stretched + gain + tilt * ((double) b / (bands - 1) - 0.5);
                        perturbed[t][frameStart + b] = (float) ((shifted - mean[b]) / std[b]);
                    }
                }
            }
            out.add(new Example(null, perturbed, e.label(), e.target()));
        }
        return out;
    }

    /** Where hz falls among the band centres, as a fractional index, clamped to the first and last band. */
    double bandIndexOf(double hz) {
        int n = centreHz.length;
        if (hz <= centreHz[0]) return 0;
        if (hz >= centreHz[n - 1]) return n - 1;
        int lo = 0, hi = n - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (centreHz[mid] <= hz) lo = mid; else hi = mid;
        }
        return lo + (hz - centreHz[lo]) / (centreHz[hi] - centreHz[lo]);
    }
}
