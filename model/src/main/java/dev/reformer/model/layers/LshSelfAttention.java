package dev.reformer.model.layers;

import dev.reformer.model.ReformerConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * LSH self-attention (Reformer, section 2): shared query/key vectors are hashed by random rotations into
 * buckets, sorted by (bucket, position), cut into chunks that attend to themselves and their neighbours,
 * and the hash rounds are combined by the softmax of their logsumexps. Naming rule: "sorted" in a
 * name means in bucket order.
 *
 * <p>Like the reference's LSHSelfAttention this excludes the output projection and the layer norm.
 */
public final class LshSelfAttention {
    /** Per-thread room for a block of positions' rotations while hashing. */
    private static final ThreadLocal<double[]> ROTATED = ThreadLocal.withInitial(() -> new double[0]);

    private final ReformerConfig config;
    private final Rotations rotations;

    public LshSelfAttention(ReformerConfig config, Rotations rotations) {
        this.config = config;
        this.rotations = rotations;
    }

    /**
     * @param out [B, T, H*D] attention output before the output projection
     * @param buckets [B][H][R][T] bucket of each position and round, round r offset by r * (NB or NB+1);
     *                null when the sequence fits one chunk and no hashing happened
     */
    public record Result(INDArray out, int[][][][] buckets) {}

    /**
     * @param hidden [B, T, C] (already layer-normed)
     * @param queryKeyWeight [H*D, C]
     * @param valueWeight [H*D, C]
     * @param keyValid [B][T], false at padding; null for none
     */
    public Result forward(INDArray hidden, INDArray queryKeyWeight, INDArray valueWeight, boolean[][] keyValid) {
        return forward(hidden, queryKeyWeight, valueWeight, keyValid, null);
    }

    /**
     * The same with the buckets of an earlier pass (null: hash now), so that a recomputation during the
     * backward pass attends exactly as the forward pass did.
     */
    public Result forward(INDArray hidden, INDArray queryKeyWeight, INDArray valueWeight, boolean[][] keyValid,
                          int[][][][] earlierBuckets) {
        return forward(hidden, queryKeyWeight, valueWeight, keyValid, earlierBuckets, Dropout.NONE);
    }

    /** The same with dropout of the attention probabilities (training; lsh_attention_probs_dropout_prob). */
    public Result forward(INDArray hidden, INDArray queryKeyWeight, INDArray valueWeight, boolean[][] keyValid,
                          int[][][][] earlierBuckets, Dropout probabilityDropout) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1);
        long rows = (long) batch * length * config.numAttentionHeads();
        INDArray x = Attention.rows(hidden);                                                  // [B*T, C]
        INDArray queryKey = Linear.forward(x, queryKeyWeight, null).reshape(rows, config.attentionHeadSize());
        INDArray value = Linear.forward(x, valueWeight, null).reshape(rows, config.attentionHeadSize());
        // sequences that fit one chunk get full attention, unhashed: the reference's short-sequence fallback
        // (a streaming model always hashes: its cache cannot know how long the stream will be)
        int[][][][] buckets = length <= config.lshAttnChunkLength() && !config.isStreaming() ? null
                : earlierBuckets != null ? earlierBuckets : hash(queryKey, keyValid, batch, length);
        INDArray out = ChunkedAttention.forward(queryKey, null, value, plan(batch, length, keyValid, buckets, probabilityDropout));
        return new Result(out.reshape(batch, length, (long) config.allHeadSize()), buckets);
    }

    /**
     * Recomputes the projections, reuses the forward pass's buckets (they get no gradient), and goes back
     * through the chunked attention and the projections. Adds into dQueryKeyWeight and dValueWeight.
     *
     * @param buckets as {@link Result#buckets()} of the forward pass
     * @param dOut [B, T, H*D]
     * @return dHidden [B, T, C]
     */
    public INDArray backward(INDArray hidden, INDArray queryKeyWeight, INDArray valueWeight, boolean[][] keyValid,
                             int[][][][] buckets, INDArray dOut, INDArray dQueryKeyWeight, INDArray dValueWeight) {
        return backward(hidden, queryKeyWeight, valueWeight, keyValid, buckets, Dropout.NONE, dOut, dQueryKeyWeight,
                dValueWeight);
    }

    /** The backward of the forward with probability dropout: the same masks, from the same seed. */
    public INDArray backward(INDArray hidden, INDArray queryKeyWeight, INDArray valueWeight, boolean[][] keyValid,
                             int[][][][] buckets, Dropout probabilityDropout, INDArray dOut,
                             INDArray dQueryKeyWeight, INDArray dValueWeight) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1), d = config.attentionHeadSize();
        long rows = (long) batch * length * config.numAttentionHeads();
        INDArray x = Attention.rows(hidden);
        INDArray queryKey = Linear.forward(x, queryKeyWeight, null).reshape(rows, d);
        INDArray value = Linear.forward(x, valueWeight, null).reshape(rows, d);
        ChunkedAttention.Gradients g = ChunkedAttention.backward(queryKey, null, value,
                plan(batch, length, keyValid, buckets, probabilityDropout), dOut.reshape(rows, d));
        long width = config.allHeadSize();
        INDArray dx = Linear.backward(x, queryKeyWeight, g.queries().reshape(x.size(0), width), dQueryKeyWeight, null)
                .addi(Linear.backward(x, valueWeight, g.values().reshape(x.size(0), width), dValueWeight, null));
        g.queries().close();
        g.values().close();
        queryKey.close();
        value.close();
        return dx.reshape(hidden.shape());
    }

    /** Who attends to whom: buckets sorted into chunks, or (no buckets) one chunk spanning the sequence. */
    private ChunkedAttention.Plan plan(int batch, int length, boolean[][] keyValid, int[][][][] buckets,
                                       Dropout probabilityDropout) {
        int heads = config.numAttentionHeads(), d = config.attentionHeadSize();
        if (config.isStreaming()) return streamingPlan(batch, length, keyValid, buckets, probabilityDropout);
        ChunkedAttention.Masking masking = new ChunkedAttention.Masking(keyValid, config.isDecoder(), true);
        if (buckets == null) {
            return new ChunkedAttention.Plan(batch, length, heads, d, 1, length, 0, 0,
                    Attention.identityPositions(batch * heads, length), masking, probabilityDropout);
        }
        return new ChunkedAttention.Plan(batch, length, heads, d, config.numHashes(), config.lshAttnChunkLength(),
                config.lshNumChunksBefore(), config.lshNumChunksAfter(), sortByBucket(buckets), masking, probabilityDropout);
    }

    /**
     * A streaming model's LSH attention, computed whole: each round is one chunk in position order, and the masks
     * leave each query the keys {@link #earliestVisible} allows, as {@code StreamingEncoder} finds them in its cache.
     * O(R T^2) per head: for training and for checking the cache, not for serving long streams.
     */
    private ChunkedAttention.Plan streamingPlan(int batch, int length, boolean[][] keyValid, int[][][][] buckets,
                                                Dropout probabilityDropout) {
        int heads = config.numAttentionHeads(), rounds = config.numHashes();
        int[][] positions = new int[batch * heads][rounds * length];
        for (int[] p : positions) for (int s = 0; s < p.length; s++) p[s] = s % length;
        ChunkedAttention.Masking masking = new ChunkedAttention.Masking(keyValid, true, true, buckets,
                earliestVisible(buckets, config.streamingContextLength(), streamingKeysPerBucket(config)));
        return new ChunkedAttention.Plan(batch, length, heads, config.attentionHeadSize(), rounds, length, 0, 0,
                positions, masking, probabilityDropout);
    }

    /**
     * The most keys of its own bucket a query of a streaming model attends to, itself included: as many as the
     * reference's chunk window holds ((lsh_num_chunks_before + 1) x lsh_attn_chunk_length), however lopsided the
     * buckets. It bounds the work of one position.
     */
    public static int streamingKeysPerBucket(ReformerConfig config) {
        return (config.lshNumChunksBefore() + 1) * config.lshAttnChunkLength();
    }

    /**
     * For each query (per batch row, head and round), the first position it may see: the later of the context's
     * start and its bucket's keysPerBucket-th most recent position (counting itself).
     */
    static int[][][][] earliestVisible(int[][][][] buckets, int context, int keysPerBucket) {
        int[][][][] earliest = new int[buckets.length][][][];
        for (int b = 0; b < buckets.length; b++) {
            earliest[b] = new int[buckets[b].length][][];
            for (int h = 0; h < buckets[b].length; h++) {
                earliest[b][h] = new int[buckets[b][h].length][];
                for (int r = 0; r < buckets[b][h].length; r++) {
                    int[] bucketOf = buckets[b][h][r], first = new int[bucketOf.length];
                    java.util.Map<Integer, java.util.ArrayDeque<Integer>> recent = new java.util.HashMap<>();
                    for (int t = 0; t < bucketOf.length; t++) {
                        java.util.ArrayDeque<Integer> last = recent.computeIfAbsent(bucketOf[t], k -> new java.util.ArrayDeque<>());
                        last.addLast(t);
                        if (last.size() > keysPerBucket) last.removeFirst();
                        first[t] = Math.max(t - context + 1, last.peekFirst());
                    }
                    earliest[b][h][r] = first;
                }
            }
        }
        return earliest;
    }

    /**
     * Buckets: argmax over [xR, -xR] per bucket factor, factors combined as b0 + f0*b1 + ...; padded
     * positions (when the batch holds any padding) go to the extra bucket NB.
     *
     * @param queryKey [B*T*H, D] rows in [B, T, H] order
     * @return [B][H][R][T] with round offsets added
     */
    public int[][][][] hash(INDArray queryKey, boolean[][] keyValid, int batch, int length) {
        int heads = config.numAttentionHeads(), d = config.attentionHeadSize();
        List<Integer> factors = config.bucketsFor(length);
        int rounds = config.numHashes(), half = factors.stream().mapToInt(Integer::intValue).sum() / 2;
        int bucketsPerRoundWithoutPadding = factors.stream().reduce(1, (a, b) -> a * b);
        ChunkedAttention.Rotator rotator = ChunkedAttention.kernelFor(queryKey.dataType())
                .rotator(queryKey, rotations.draw(heads, d, rounds, half, queryKey.dataType()));
        boolean padding = Attention.anyPadding(keyValid);
        int bucketsPerRound = bucketsPerRoundWithoutPadding + (padding ? 1 : 0);
        int[][][][] buckets = new int[batch][heads][rounds][length];
        int columns = rounds * half, block = 64;                        // positions per task
        KernelThreads.forEach((batch * length + block - 1) / block, n -> {
            int first = n * block, count = Math.min(block, batch * length - first);
            double[] rotated = ROTATED.get();
            if (rotated.length < count * heads * columns) ROTATED.set(rotated = new double[block * heads * columns]);
            rotator.rotate(first, count, rotated);                                           // [count, H, R*K]
            for (int i = 0; i < count; i++) {
                int b = (first + i) / length, t = (first + i) % length;
                for (int h = 0; h < heads; h++) {
                    for (int r = 0; r < rounds; r++) {
                        int bucket;
                        if (padding && !keyValid[b][t]) {
                            bucket = bucketsPerRoundWithoutPadding;
                        } else {
                            bucket = 0;
                            int offset = (i * heads + h) * columns + r * half, product = 1;
                            for (int f : factors) {
                                bucket += product * argmaxOfPlusMinus(rotated, offset, f / 2);
                                offset += f / 2;
                                product *= f;
                            }
                        }
                        buckets[b][h][r][t] = bucket + r * bucketsPerRound;
                    }
                }
            }
        });
        return buckets;
    }

    /** Index of the largest of [x_0..x_{n-1}, -x_0..-x_{n-1}], the first on ties (as torch.argmax). */
    private static int argmaxOfPlusMinus(double[] x, int offset, int n) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (x[offset + i] > bestValue) { bestValue = x[offset + i]; best = i; }
        for (int i = 0; i < n; i++) if (-x[offset + i] > bestValue) { bestValue = -x[offset + i]; best = n + i; }
        return best;
    }

    /**
     * Stable counting sort of each group's R*T slots by bucket (rounds never overlap thanks to the offsets).
     *
     * @return [G][R*T] the original position in each sorted slot, group g = b * H + h
     */
    private static int[][] sortByBucket(int[][][][] buckets) {
        int heads = buckets[0].length, rounds = buckets[0][0].length, length = buckets[0][0][0].length;
        int maxBucket = 0;
        for (int[][][] row : buckets) for (int[][] head : row) for (int[] round : head) for (int b : round) maxBucket = Math.max(maxBucket, b);
        int[][] sortedPositions = new int[buckets.length * heads][];
        for (int b = 0; b < buckets.length; b++) {
            for (int h = 0; h < heads; h++) {
                int[] start = new int[maxBucket + 2];
                for (int[] round : buckets[b][h]) for (int bucket : round) start[bucket + 1]++;
                for (int i = 1; i < start.length; i++) start[i] += start[i - 1];
                int[] sorted = new int[rounds * length];
                for (int r = 0; r < rounds; r++) {
                    for (int t = 0; t < length; t++) sorted[start[buckets[b][h][r][t]]++] = t;
                }
                sortedPositions[b * heads + h] = sorted;
            }
        }
        return sortedPositions;
    }

    /** Keys: unit length (x * rsqrt(mean(x^2) + 1e-6)), divided by sqrt(D). x [N, D] → [N, D]. */
    static INDArray lengthAndDimNorm(INDArray x) {
        INDArray meanSquare = x.mul(x).mean(true, 1);                                        // [N, 1]
        INDArray rsqrt = Transforms.pow(meanSquare.addi(1e-6), -0.5, false);
        return x.mul(rsqrt).divi(Math.sqrt(x.size(1)));
    }
}
