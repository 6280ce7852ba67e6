package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * The attention LSH and local attention share: a sequence of slots is cut into chunks, and each chunk
 * attends to itself and to {@code before} chunks before and {@code after} chunks after it, wrapping
 * around at the ends of the slot sequence (the reference's {@code _look_adjacent}). With one chunk
 * spanning the whole sequence this is plain full attention.
 *
 * <p>Built from a few large ND4J operations (one gather per neighbour, two batched matmuls) plus one
 * pass in Java that writes the masks into the score buffer, because ND4J's per-op cost forbids small ops.
 */
public final class ChunkedAttention {
    /** Score of a masked key (padding, or the future when causal); the reference's float32 value. */
    public static final double MASK_VALUE = -1e9;
    /** Score of a query attending to its own position when the self-mask is on. */
    public static final double SELF_MASK_VALUE = -1e5;

    private ChunkedAttention() {}

    /**
     * Which scores to replace.
     *
     * @param keyValid per batch row and original position, false for padding (null: no padding)
     * @param headsPerRow groups per batch row (H): group g belongs to batch row g / H
     * @param causal hide keys at later original positions than the query
     * @param selfMask forbid a position to attend to itself unless nothing else is visible (LSH)
     */
    public record Masking(boolean[][] keyValid, int headsPerRow, boolean causal, boolean selfMask) {
        boolean any() { return keyValid != null || causal || selfMask; }
    }

    /**
     * @param out [G, S, D] attention output per slot
     * @param logsumexp [G, S] log of each query's softmax normaliser (combines hash rounds)
     */
    public record Result(INDArray out, INDArray logsumexp) {}

    /**
     * @param queries [G, S, D]
     * @param keys [G, S, D] (already scaled)
     * @param values [G, S, D]
     * @param positions [G][S] original sequence position of each slot
     * @param chunk slots per chunk; S must be a multiple of it
     */
    public static Result forward(INDArray queries, INDArray keys, INDArray values, int[][] positions,
                                 Masking masking, int chunk, int before, int after) {
        int groups = (int) queries.size(0), slots = (int) queries.size(1), d = (int) queries.size(2);
        if (slots % chunk != 0) throw new IllegalArgumentException("slots " + slots + " not a multiple of chunk " + chunk);
        int chunksPerGroup = slots / chunk, window = (1 + before + after) * chunk;
        int allChunks = groups * chunksPerGroup;

        INDArray q = queries.reshape(allChunks, chunk, d);                                    // [M, chunk, D]
        INDArray k = lookAdjacent(keys, allChunks, chunksPerGroup, before, after).reshape(allChunks, window, d);
        INDArray v = lookAdjacent(values, allChunks, chunksPerGroup, before, after).reshape(allChunks, window, d);

        INDArray scores = Nd4j.matmul(q, k, false, true, false);                              // [M, chunk, window]
        if (masking.any()) applyMasks(scores, positions, masking, chunk, chunksPerGroup, before, after);

        // softmax through logsumexp, as the reference does
        INDArray max = scores.max(true, 2);                                                   // [M, chunk, 1]
        Transforms.exp(scores.subi(max), false);
        INDArray sum = scores.sum(true, 2);                                                   // [M, chunk, 1]
        scores.divi(sum);
        INDArray logsumexp = Transforms.log(sum, false).addi(max).reshape(groups, slots);
        INDArray out = Nd4j.matmul(scores, v).reshape(groups, slots, d);                      // [G, S, D]
        return new Result(out, logsumexp);
    }

    /**
     * Each chunk followed by its neighbours along the key axis: chunks n-before .. n+after, wrapping.
     *
     * @param x [G, S, D]
     * @return [M, window * D] with M = G * chunksPerGroup
     */
    static INDArray lookAdjacent(INDArray x, int allChunks, int chunksPerGroup, int before, int after) {
        INDArray rows = x.reshape(allChunks, x.length() / allChunks);                        // [M, chunk*D]
        if (before == 0 && after == 0) return rows;
        INDArray[] parts = new INDArray[1 + before + after];
        for (int o = -before; o <= after; o++) {
            if (o == 0) {
                parts[o + before] = rows;
                continue;
            }
            int[] source = new int[allChunks];
            for (int m = 0; m < allChunks; m++) {
                int g = m / chunksPerGroup, n = m % chunksPerGroup;
                source[m] = g * chunksPerGroup + Math.floorMod(n + o, chunksPerGroup);
            }
            parts[o + before] = Nd4j.pullRows(rows, 1, source);
        }
        return Nd4j.concat(1, parts);
    }

    /** Writes the mask values into the score buffer in place, one pass, in parallel over chunks. */
    private static void applyMasks(INDArray scores, int[][] positions, Masking masking, int chunk,
                                   int chunksPerGroup, int before, int after) {
        int allChunks = (int) scores.size(0), window = (int) scores.size(2);
        int neighbours = 1 + before + after;
        boolean isDouble = scores.dataType() == DataType.DOUBLE;
        DoubleBuffer doubles = isDouble ? scores.data().asNioDouble() : null;
        FloatBuffer floats = isDouble ? null : scores.data().asNioFloat();
        boolean[][] valid = masking.keyValid();
        IntStream.range(0, allChunks).parallel().forEach(m -> {
            int g = m / chunksPerGroup, n = m % chunksPerGroup;
            int[] pos = positions[g];
            boolean[] rowValid = valid == null ? null : valid[g / masking.headsPerRow()];
            for (int i = 0; i < chunk; i++) {
                int queryPos = pos[n * chunk + i];
                int base = (m * chunk + i) * window;
                for (int w = 0; w < neighbours; w++) {
                    int keyChunk = Math.floorMod(n - before + w, chunksPerGroup) * chunk;
                    for (int j = 0; j < chunk; j++) {
                        int keyPos = pos[keyChunk + j];
                        double value = Double.NaN;
                        if ((rowValid != null && !rowValid[keyPos]) || (masking.causal() && keyPos > queryPos)) {
                            value = MASK_VALUE;
                        }
                        if (masking.selfMask() && keyPos == queryPos) value = SELF_MASK_VALUE;
                        if (value == value) { // not NaN: this score is replaced
                            int at = base + w * chunk + j;
                            if (isDouble) doubles.put(at, value);
                            else floats.put(at, (float) value);
                        }
                    }
                }
            }
        });
    }
}
