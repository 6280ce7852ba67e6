package dev.reformer.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * SpecAugment's masking (Park et al., 2019) for examples of feature frames, applied to each training batch
 * afresh: a few bands of feature channels and a few runs of positions are set to 0, the mean of normalised
 * features, so that a model cannot lean on one band or one moment. A position may stack several frames; a band
 * is masked in each of them. The examples given are not changed; masked copies are returned.
 *
 * @param channels    feature channels per frame (80 log-mel bands)
 * @param bandMasks   bands masked per example
 * @param maxBand     widest band, in channels
 * @param runMasks    runs of positions masked per example
 * @param maxRun      longest run, as a fraction of the example's positions
 */
public record SpecAugment(int channels, int bandMasks, int maxBand, int runMasks, double maxRun) implements Trainer.Augmentation {

    /** Two bands of up to 10 of 80 channels, two runs of up to 10 % of the positions: a mild setting for short clips. */
    public static SpecAugment mild(int channels) {
        return new SpecAugment(channels, 2, Math.max(1, channels / 8), 2, 0.1);
    }

    @Override
    public List<Example> apply(List<Example> batch, Random random) {
        List<Example> out = new ArrayList<>(batch.size());
        for (Example e : batch) {
            if (e.features() == null) {
                out.add(e);
                continue;
            }
            float[][] x = new float[e.features().length][];
            for (int t = 0; t < x.length; t++) x[t] = e.features()[t].clone();
            int stacked = x[0].length / channels;
            for (int m = 0; m < bandMasks; m++) {
                int width = random.nextInt(maxBand + 1), from = random.nextInt(Math.max(1, channels - width + 1));
                for (float[] position : x) {
                    for (int s = 0; s < stacked; s++) java.util.Arrays.fill(position, s * channels + from, s * channels + from + width, 0f);
                }
            }
            int longest = (int) (maxRun * x.length);
            for (int m = 0; m < runMasks && longest > 0; m++) {
                int length = random.nextInt(longest + 1), from = random.nextInt(Math.max(1, x.length - length + 1));
                for (int t = from; t < from + length; t++) java.util.Arrays.fill(x[t], 0f);
            }
            out.add(new Example(null, x, e.label(), e.target()));
        }
        return out;
    }
}
