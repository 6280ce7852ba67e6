package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention LSH and local attention share: each group's slots (its positions, in bucket order for
 * LSH, R rounds one after another) are cut into chunks, and each chunk attends to itself and to
 * {@code before} chunks before and {@code after} chunks after it, wrapping around at the ends of the slot
 * sequence (the reference's {@code _look_adjacent}). With one chunk spanning the sequence this is full
 * attention.
 *
 * <p>This is a fused kernel: for each chunk it gathers its query, key and value rows, computes scores,
 * masks, softmax (through logsumexp) and the weighted values, and writes them back in position order,
 * never materialising the neighbour-expanded keys or the score tensor of the whole sequence. Two
 * implementations compute one chunk: {@link ScalarKernel} in float64 (the readable one, and the one
 * that checks against the reference) and {@link VectorKernel} in float32 with the JDK Vector API.
 */
public final class ChunkedAttention {
    /** Score of a masked key (padding, or the future when causal); the reference's float32 value. */
    public static final double MASK_VALUE = -1e9;
    /** Score of a query attending to its own position when the self-mask is on. */
    public static final double SELF_MASK_VALUE = -1e5;

    static final byte KEEP = 0, MASKED = 1, SELF = 2;

    /** Checked here, not in VectorKernel, whose loading needs the module. */
    static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private ChunkedAttention() {}

    /**
     * Which scores to replace.
     *
     * @param keyValid per batch row and original position, false for padding (null: no padding)
     * @param causal hide keys at later original positions than the query
     * @param selfMask forbid a position to attend to itself unless nothing else is visible (LSH)
     * @param sameBucket [B][H][R][T] buckets of a streaming LSH layer: a key of another bucket than the query's
     *                   (in the query slot's round) is hidden; null for none. Needs slots in position order per round.
     * @param earliestVisible [B][H][R][T] with sameBucket: keys before this position are hidden from the query at T
     */
    public record Masking(boolean[][] keyValid, boolean causal, boolean selfMask, int[][][][] sameBucket, int[][][][] earliestVisible) {
        public Masking(boolean[][] keyValid, boolean causal, boolean selfMask) {
            this(keyValid, causal, selfMask, null, null);
        }

        /** Nothing but the self mask can hide a key (when nothing is padded either). */
        boolean onlySelf() { return !causal && sameBucket == null; }
    }

    /**
     * Everything about which slot attends to which, independent of the numbers.
     *
     * @param positions [G][S] original position of each slot, S = rounds * length; group g = b * H + h
     */
    public record Plan(int batch, int length, int heads, int headSize, int rounds, int chunk, int before, int after,
                       int[][] positions, Masking masking, Dropout probabilityDropout) {
        public Plan {
            if ((long) rounds * length % chunk != 0) {
                throw new IllegalArgumentException("slots " + rounds * length + " are not a multiple of the chunk length " + chunk);
            }
        }

        /** Without dropout of the attention probabilities (inference). */
        public Plan(int batch, int length, int heads, int headSize, int rounds, int chunk, int before, int after,
                    int[][] positions, Masking masking) {
            this(batch, length, heads, headSize, rounds, chunk, before, after, positions, masking, Dropout.NONE);
        }

        /** The dropout factor of query slot's probability for window key j (1 without dropout). */
        double dropFactor(int group, int slot, int j) {
            if (!probabilityDropout.active()) return 1;
            return probabilityDropout.multiplier(0, ((long) group * rounds * length + slot) * window() + j);
        }

        int groups() { return batch * heads; }

        int chunksPerGroup() { return rounds * length / chunk; }

        int window() { return (1 + before + after) * chunk; }

        /** Row of (group, position) in the [B, T, H] row layout of the projections. */
        int row(int group, int position) {
            return ((group / heads) * length + position) * heads + group % heads;
        }

        /** Row of (group, slot) in the [R, B, T, H] row layout of the output. */
        int outputRow(int group, int slot) {
            return (slot / length) * batch * length * heads + row(group, positions[group][slot]);
        }

        /** Slot of key j of chunk n's window: neighbours n-before .. n+after, wrapping. */
        int keySlot(int n, int j) {
            int neighbour = Math.floorMod(n - before + j / chunk, chunksPerGroup());
            return neighbour * chunk + j % chunk;
        }

        /**
         * How the score of (query, key) is treated: KEEP, MASKED or SELF. The query is group g's slot querySlot at
         * queryPos; rowValid may be null.
         */
        byte code(int group, int querySlot, int queryPos, int keyPos, boolean[] rowValid) {
            if (masking.selfMask() && keyPos == queryPos) return SELF; // applied after the mask, as the reference does
            if ((rowValid != null && !rowValid[keyPos]) || (masking.causal() && keyPos > queryPos)) return MASKED;
            if (masking.sameBucket() != null) {
                int b = group / heads, h = group % heads, r = querySlot / length;
                int[] round = masking.sameBucket()[b][h][r];
                if (round[keyPos] != round[queryPos] || keyPos < masking.earliestVisible()[b][h][r][queryPos]) return MASKED;
            }
            return KEEP;
        }

        /** Validity of the original positions of group g's batch row, or null when nothing is padded. */
        boolean[] rowValid(int group) {
            return masking.keyValid() == null ? null : masking.keyValid()[group / heads];
        }
    }

    /**
     * @param queries [B*T*H, D] rows in [B, T, H] order, as the projections produce them
     * @param keys [B*T*H, D] (already scaled), or null for shared query/key attention: each key is then its
     *             query row scaled to unit length and divided by sqrt(D), see {@link #sharedKeyScale}
     * @param values [B*T*H, D]
     * @return [B*T*H, D] the attention output; with several rounds, each round's output weighted by the
     *         softmax over rounds of its logsumexp (the share of probability mass it found)
     */
    public static INDArray forward(INDArray queries, INDArray keys, INDArray values, Plan plan) {
        return kernelFor(queries.dataType()).forward(queries, keys, values, plan);
    }

    /**
     * The gradients of {@link #forward}'s output with respect to its inputs, by the same kernel choice.
     *
     * @param dOut [B*T*H, D]
     */
    public static Gradients backward(INDArray queries, INDArray keys, INDArray values, Plan plan, INDArray dOut) {
        return queries.dataType() == DataType.FLOAT && VECTOR_API
                ? VectorBackward.backward(queries, keys, values, plan, dOut)
                : new ScalarKernel().backward(queries, keys, values, plan, dOut);
    }

    /** @param keys null when the keys are shared with the queries: their gradient is then inside queries */
    public record Gradients(INDArray queries, INDArray keys, INDArray values) {}

    /**
     * The factor that turns a shared query/key row into its key: rsqrt(mean(x^2) + 1e-6) / sqrt(D), as the
     * reference's _len_and_dim_norm.
     */
    public static double sharedKeyScale(double sumOfSquares, int d) {
        return 1.0 / Math.sqrt(sumOfSquares / d + 1e-6) / Math.sqrt(d);
    }

    /** The fast float32 kernel when the Vector API is available, else the float64 one. */
    static Kernel kernelFor(DataType dtype) {
        return dtype == DataType.FLOAT && VECTOR_API ? new VectorKernel() : new ScalarKernel();
    }

    /** Computes every chunk of a plan. */
    interface Kernel {
        INDArray forward(INDArray queries, INDArray keys, INDArray values, Plan plan);

        /** @param rows [N, D] rows in [B, T, H] order; rotations [H, D, R, K] */
        Rotator rotator(INDArray rows, INDArray rotations);
    }

    /** Projects rows onto their heads' random rotations: the input of hashing. */
    interface Rotator {
        /**
         * Positions first .. first + count - 1 (flattened b * T + t), every head:
         * out[(i * H + h) * R*K + r * K + k] = sum over d of rows[(first + i) * H + h, d] * rotations[h, d, r, k]
         */
        void rotate(int first, int count, double[] out);
    }
}
