package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Where LSH attention gets its random rotations, shape [H, D, R, K]. The reference draws them afresh on
 * every call, re-seeded with hash_seed when one is set; fixtures inject the exact tensor instead.
 */
@FunctionalInterface
public interface Rotations {
    /** @return [heads, headSize, rounds, half] in dtype */
    INDArray draw(int heads, int headSize, int rounds, int half, DataType dtype);

    /** Standard normal rotations from a generator seeded on every call (seed null: a fresh random seed). */
    static Rotations seeded(Long seed) {
        return (heads, headSize, rounds, half, dtype) -> {
            Random random = seed == null ? new Random() : new Random(seed);
            double[] values = new double[heads * headSize * rounds * half];
            for (int i = 0; i < values.length; i++) values[i] = random.nextGaussian();
            return Nd4j.create(values, new long[]{heads, headSize, rounds, half}, DataType.DOUBLE).castTo(dtype);
        };
    }

    /**
     * Fresh rotations on every call, as with no hash_seed, but from a sequence fixed by seed: training runs
     * repeat exactly, and a checkpoint can record how far the sequence went. Draw n uses a generator seeded
     * with (seed, n).
     */
    final class Sequence implements Rotations {
        private final long seed;
        private final java.util.concurrent.atomic.AtomicLong draws = new java.util.concurrent.atomic.AtomicLong();

        public Sequence(long seed) { this.seed = seed; }

        public long draws() { return draws.get(); }

        public void resumeAt(long draws) { this.draws.set(draws); }

        @Override
        public INDArray draw(int heads, int headSize, int rounds, int half, DataType dtype) {
            return seeded(seed * 0x9E3779B97F4A7C15L + draws.getAndIncrement()).draw(heads, headSize, rounds, half, dtype);
        }
    }

    /** Always the given tensor (checked against the requested shape). */
    static Rotations fixed(INDArray rotations) {
        return (heads, headSize, rounds, half, dtype) -> {
            long[] want = {heads, headSize, rounds, half};
            if (!java.util.Arrays.equals(want, rotations.shape())) {
                throw new IllegalArgumentException("rotations have shape " + java.util.Arrays.toString(rotations.shape())
                        + ", this layer needs " + java.util.Arrays.toString(want));
            }
            return rotations.castTo(dtype);
        };
    }
}
