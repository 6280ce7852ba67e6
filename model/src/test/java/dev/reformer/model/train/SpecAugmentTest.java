package dev.reformer.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpecAugmentTest {

    /** 20 positions of 3 stacked frames of 8 channels, all 1. */
    private static Example ones() {
        float[][] x = new float[20][24];
        for (float[] row : x) Arrays.fill(row, 1f);
        return Example.features(x, 3);
    }

    @Test
    void masksWholeBandsInEveryStackedFrameAndWholeRunsOfPositionsOnCopies() {
        SpecAugment augment = new SpecAugment(8, 2, 3, 2, 0.2);
        Example original = ones();
        int changed = 0;
        for (int seed = 0; seed < 50; seed++) {
            Example masked = augment.apply(List.of(original, Example.tokens(new int[]{5}, 1)), new Random(seed)).get(0);
            assertEquals(3, masked.label());
            for (float[] row : original.features()) for (float v : row) assertEquals(1f, v, "the given example is left as it was");
            Set<Integer> bands = new HashSet<>();
            int runPositions = 0;
            for (float[] row : masked.features()) {
                boolean all = true;
                for (float v : row) all &= v == 0f;
                if (all) {
                    runPositions++;
                    continue;
                }
                Set<Integer> zeroed = new HashSet<>();
                for (int d = 0; d < row.length; d++) if (row[d] == 0f) zeroed.add(d);
                for (int d : zeroed) assertTrue(zeroed.contains(d % 8) && zeroed.contains(d % 8 + 8) && zeroed.contains(d % 8 + 16),
                        "a band is masked in each stacked frame: " + zeroed);
                if (bands.isEmpty()) bands.addAll(zeroed);
                assertEquals(bands, zeroed, "the same bands at every position");
            }
            assertTrue(bands.size() <= 2 * 3 * 3, "at most 2 bands of 3 channels, in 3 frames: " + bands);
            assertTrue(runPositions <= 2 * 4, "at most 2 runs of 20 % of 20 positions: " + runPositions);
            if (!bands.isEmpty() || runPositions > 0) changed++;
        }
        assertTrue(changed > 40, "most draws mask something: " + changed);
    }

    @Test
    void theSameRandomGivesTheSameMasksAndTokenExamplesPassUnchanged() {
        SpecAugment augment = SpecAugment.mild(8);
        Example tokens = Example.tokens(new int[]{4, 5}, 0);
        List<Example> a = augment.apply(List.of(ones(), tokens), new Random(7)), b = augment.apply(List.of(ones(), tokens), new Random(7));
        for (int t = 0; t < 20; t++) assertArrayEquals(a.get(0).features()[t], b.get(0).features()[t]);
        assertSame(tokens, a.get(1));
        List<Example> c = augment.apply(List.of(ones()), new Random(8));
        assertNotEquals(Arrays.deepToString(a.get(0).features()), Arrays.deepToString(c.get(0).features()), "another draw, other masks");
    }
}
