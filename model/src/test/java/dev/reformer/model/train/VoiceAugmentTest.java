package dev.reformer.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VoiceAugmentTest {

    static final int BANDS = 40;
    /** The centres of 40 mel filters from 20 to 7600 Hz, as the front-end spaces them. */
    static final double[] CENTRES = new double[BANDS];
    static final float[] MEAN = new float[BANDS], STD = new float[BANDS];
    static {
        double low = mel(20), high = mel(7600);
        for (int b = 0; b < BANDS; b++) {
            double m = low + (high - low) * (b + 1) / (BANDS + 1);
            CENTRES[b] = 700 * (Math.pow(10, m / 2595) - 1);
            MEAN[b] = -5 + 0.1f * b;
            STD[b] = 2 + 0.05f * b;
        }
    }

    static double mel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }

    /** The band whose centre is nearest hz. */
    static int nearestBand(double hz) {
        int best = 0;
        for (int b = 1; b < BANDS; b++) if (Math.abs(CENTRES[b] - hz) < Math.abs(CENTRES[best] - hz)) best = b;
        return best;
    }

    /** 6 positions of 2 stacked frames, each frame log-mel -10 everywhere but a peak of 0 at band `peak`, standardised. */
    static Example peakAt(int peak) {
        float[][] x = new float[6][2 * BANDS];
        for (float[] position : x) {
            for (int s = 0; s < 2; s++) {
                for (int b = 0; b < BANDS; b++) position[s * BANDS + b] = ((b == peak ? 0f : -10f) - MEAN[b]) / STD[b];
            }
        }
        return Example.features(x, 4);
    }

    static double logMel(Example e, int position, int frame, int band) {
        return e.features()[position][frame * BANDS + band] * STD[band] + MEAN[band];
    }

    static int peakBand(Example e, int position, int frame) {
        int best = 0;
        for (int b = 1; b < BANDS; b++) if (logMel(e, position, frame, b) > logMel(e, position, frame, best)) best = b;
        return best;
    }

    @Test
    void withNothingToChangeGivesTheSameFeatures() {
        Example original = peakAt(20);
        Example same = new VoiceAugment(CENTRES, MEAN, STD, 0, 0, 0).apply(List.of(original), new Random(1)).get(0);
        for (int p = 0; p < 6; p++) for (int i = 0; i < 2 * BANDS; i++) assertEquals(original.features()[p][i], same.features()[p][i], 1e-5);
    }

    @Test
    void levelAndTiltAddToTheLogMelValues() {
        Example original = peakAt(20);
        VoiceAugment levelOnly = new VoiceAugment(CENTRES, MEAN, STD, 0, 0, 1.5);
        VoiceAugment tiltOnly = new VoiceAugment(CENTRES, MEAN, STD, 0, 1.0, 0);
        for (int seed = 0; seed < 20; seed++) {
            Example louder = levelOnly.apply(List.of(original), new Random(seed)).get(0);
            double gain = logMel(louder, 0, 0, 0) - logMel(original, 0, 0, 0);
            assertTrue(Math.abs(gain) <= 1.5 + 1e-5, "level within the bound");
            for (int b = 0; b < BANDS; b++) assertEquals(gain, logMel(louder, 3, 1, b) - logMel(original, 3, 1, b), 1e-4, "the same level in every band and frame");

            Example tilted = tiltOnly.apply(List.of(original), new Random(seed)).get(0);
            double low = logMel(tilted, 0, 0, 0) - logMel(original, 0, 0, 0), high = logMel(tilted, 0, 0, BANDS - 1) - logMel(original, 0, 0, BANDS - 1);
            assertEquals(0, low + high, 1e-4, "a tilt about the middle band");
            assertTrue(Math.abs(high - low) <= 1.0 + 1e-5, "tilt within the bound");
            double middle = logMel(tilted, 0, 0, BANDS / 2) - logMel(original, 0, 0, BANDS / 2);
            assertEquals(low + (high - low) * (BANDS / 2) / (BANDS - 1.0), middle, 1e-4, "linear across the bands");
        }
    }

    @Test
    void aStretchReadsEachBandFromItsCentreDividedByTheFactor() {
        // log-mel values linear in frequency: stretched, band b must read the value at CENTRES[b] / warp, exactly
        // where that falls between two centres (linear interpolation is exact on a line), clamped outside them
        double slope = 1e-3;
        float[][] x = new float[3][2 * BANDS];
        for (float[] position : x) {
            for (int s = 0; s < 2; s++) for (int b = 0; b < BANDS; b++) position[s * BANDS + b] = (float) ((slope * CENTRES[b] - MEAN[b]) / STD[b]);
        }
        Example line = Example.features(x, 0);
        VoiceAugment warpOnly = new VoiceAugment(CENTRES, MEAN, STD, 0.15, 0, 0);
        for (int seed = 0; seed < 20; seed++) {
            long spread = seed * 0x9E3779B97F4A7C15L;   // as the Trainer seeds: consecutive seeds' first draws are alike
            double warp = 1 + 0.15 * (2 * new Random(spread).nextDouble() - 1);   // the augmentation's first draw
            Example warped = warpOnly.apply(List.of(line), new Random(spread)).get(0);
            for (int p = 0; p < 3; p++) {
                for (int s = 0; s < 2; s++) {
                    for (int b = 0; b < BANDS; b++) {
                        double hz = Math.min(Math.max(CENTRES[b] / warp, CENTRES[0]), CENTRES[BANDS - 1]);
                        assertEquals(slope * hz, logMel(warped, p, s, b), 1e-4, "seed " + seed + ", warp " + warp + ", band " + b);
                    }
                }
            }
        }
    }

    @Test
    void aStretchMovesSpectralPeaksUpAndAShrinkMovesThemDown() {
        Example original = peakAt(20);
        VoiceAugment warpOnly = new VoiceAugment(CENTRES, MEAN, STD, 0.15, 0, 0);
        int up = 0, down = 0;
        for (int seed = 0; seed < 40; seed++) {
            long spread = seed * 0x9E3779B97F4A7C15L;
            double warp = 1 + 0.15 * (2 * new Random(spread).nextDouble() - 1);
            Example warped = warpOnly.apply(List.of(original), new Random(spread)).get(0);
            int peak = peakBand(warped, 2, 1);
            // the peak's frequency multiplied by the warp: the new peak is one of the two bands around it
            double moved = CENTRES[20] * warp;
            int nearest = nearestBand(moved);
            assertTrue(Math.abs(peak - nearest) <= 1 && (peak - 20) * (warp - 1) >= 0,
                    "seed " + seed + ": warp " + warp + " put the peak at band " + peak + ", expected next to band " + nearest);
            if (peak > 20) up++;
            if (peak < 20) down++;
            for (int p = 0; p < 6; p++) {
                for (int s = 0; s < 2; s++) {
                    for (int b = 0; b < BANDS; b++) assertEquals(warped.features()[2][BANDS + b], warped.features()[p][s * BANDS + b], "every frame of a clip gets the same voice");
                }
            }
        }
        assertTrue(up > 5 && down > 5, "both directions drawn: up " + up + ", down " + down);
    }

    @Test
    void refusesSpectraItCannotStretch() {
        assertThrows(IllegalArgumentException.class, () -> new VoiceAugment(new double[]{100}, new float[1], new float[]{1}, 0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new VoiceAugment(new double[]{200, 100}, new float[2], new float[]{1, 1}, 0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new VoiceAugment(CENTRES, MEAN, STD, 0.1, -1, 0));
    }

    @Test
    void leavesTextAndTheGivenExamplesAlone() {
        Example text = Example.tokens(new int[]{3, 4}, 1), original = peakAt(10);
        float before = original.features()[0][10];
        List<Example> out = VoiceAugment.typical(CENTRES, MEAN, STD).apply(List.of(text, original), new Random(3));
        assertSame(text, out.get(0));
        assertEquals(before, original.features()[0][10]);
        assertNotEquals(original.features()[0][10], out.get(1).features()[0][10]);
        assertEquals(4, out.get(1).label());
    }
}
