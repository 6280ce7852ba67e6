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

    private ChunkedAttention() {}

    /**
     * Which scores to replace.
     *
     * @param keyValid per batch row and original position, false for padding (null: no padding)
     * @param causal hide keys at later original positions than the query
     * @param selfMask forbid a position to attend to itself unless nothing else is visible (LSH)
     */
    public record Masking(boolean[][] keyValid, boolean causal, boolean selfMask) {}

    /**
     * Everything about which slot attends to which, independent of the numbers.
     *
     * @param positions [G][S] original position of each slot, S = rounds * length; group g = b * H + h
     */
    public record Plan(int batch, int length, int heads, int headSize, int rounds, int chunk, int before, int after,
                       int[][] positions, Masking masking) {
        public Plan {
            if ((long) rounds * length % chunk != 0) {
                throw new IllegalArgumentException("slots " + rounds * length + " are not a multiple of the chunk length " + chunk);
            }
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

        /** Fills codes [chunk * window] for chunk n of group g with KEEP, MASKED or SELF. */
        void maskCodes(int group, int n, byte[] codes) {
            int window = window();
            int[] pos = positions[group];
            boolean[] valid = masking.keyValid() == null ? null : masking.keyValid()[group / heads];
            for (int i = 0; i < chunk; i++) {
                int queryPos = pos[n * chunk + i];
                for (int j = 0; j < window; j++) {
                    int keyPos = pos[keySlot(n, j)];
                    byte code = KEEP;
                    if ((valid != null && !valid[keyPos]) || (masking.causal() && keyPos > queryPos)) code = MASKED;
                    if (masking.selfMask() && keyPos == queryPos) code = SELF; // applied after the mask, as the reference does
                    codes[i * window + j] = code;
                }
            }
        }
    }

    /**
     * @param out [R, B*T*H, D] attention output of each round, in position order
     * @param logsumexp [R, B*T*H, 1] log of each query's softmax normaliser per round
     */
    public record Result(INDArray out, INDArray logsumexp) {}

    /**
     * @param queries [B*T*H, D] rows in [B, T, H] order, as the projections produce them
     * @param keys [B*T*H, D] (already scaled)
     * @param values [B*T*H, D]
     */
    public static Result forward(INDArray queries, INDArray keys, INDArray values, Plan plan) {
        return kernelFor(queries.dataType()).forward(queries, keys, values, plan);
    }

    /** The fast float32 kernel when the Vector API is available, else the float64 one. */
    static Kernel kernelFor(DataType dtype) {
        return dtype == DataType.FLOAT && VectorKernel.AVAILABLE ? new VectorKernel() : new ScalarKernel();
    }

    /** Computes every chunk of a plan. */
    interface Kernel {
        Result forward(INDArray queries, INDArray keys, INDArray values, Plan plan);
    }
}
