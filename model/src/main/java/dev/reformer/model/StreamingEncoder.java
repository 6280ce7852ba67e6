package dev.reformer.model;

import dev.reformer.model.layers.CachedAttention;
import dev.reformer.model.layers.ChunkedAttention;
import dev.reformer.model.layers.Dropout;
import dev.reformer.model.layers.FeedForward;
import dev.reformer.model.layers.LayerNorm;
import dev.reformer.model.layers.Linear;
import dev.reformer.model.layers.LshSelfAttention;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A streaming model ({@link ReformerConfig#isStreaming()}) served hop by hop: each new position goes through the
 * layers once, and attends to what each layer cached of the past ({@link StreamState}) instead of recomputing it.
 * The results equal {@link ReformerModel#forwardEmbeddings} over the whole stream so far (float32 rounding aside):
 * <ul>
 *   <li>local attention: position p attends to the positions from the start of the chunk {@code before} chunks
 *       before its own, up to itself (the reference's causal local attention, chunks counted from the stream's
 *       first position);</li>
 *   <li>LSH attention: in each hash round, position p attends to the most recent positions of its own bucket, at
 *       most streaming_context_length - 1 back and at most as many as the reference's chunk window holds
 *       ({@link LshSelfAttention#streamingKeysPerBucket}, itself included), and to itself only when no other key is
 *       visible; the rounds are combined by the softmax of their logsumexps, as the reference combines them.</li>
 * </ul>
 * Layer l at position p needs only layer l's keys and values of earlier positions, so a hop of n positions costs n
 * positions' work at every layer, whatever the context.
 */
public final class StreamingEncoder {
    private final ReformerConfig config;
    private final Params params;
    private final LshSelfAttention[] lsh; // per layer; null for a local layer

    public StreamingEncoder(ReformerModel model) {
        this(model.config(), model.params(), Rotations.seeded(model.config().hashSeed()));
    }

    public StreamingEncoder(ReformerConfig config, Params params, Rotations rotations) {
        if (!config.isStreaming()) throw new IllegalArgumentException("this model is not a streaming model: its config has no "
                + "streaming_context_length; serve it in windows, or train a streaming model (causal, no position embeddings)");
        this.config = config;
        this.params = params;
        this.lsh = new LshSelfAttention[config.numHiddenLayers()];
        for (int i = 0; i < lsh.length; i++) {
            if (isLsh(i)) lsh[i] = new LshSelfAttention(config, rotations);
        }
    }

    public ReformerConfig config() { return config; }

    /** An empty stream: no past, next position 0. */
    public StreamState newState() {
        return new StreamState(config);
    }

    /**
     * Runs the next positions of a stream through the model and adds them to its state.
     *
     * @param state the stream's cache; updated in place
     * @param inputs [n, C] the positions' input vectors (audio frames already projected to C)
     * @return [n, 2C] their last hidden states
     */
    public INDArray step(StreamState state, INDArray inputs) {
        int n = (int) inputs.size(0), c = config.hiddenSize();
        if (inputs.rank() != 2 || inputs.size(1) != c) throw new IllegalArgumentException("inputs must be [n, " + c
                + "], got " + java.util.Arrays.toString(inputs.shape()));
        DataType dtype = params.finalNormWeight.dataType();
        INDArray x1 = inputs.castTo(dtype).dup(), x2 = x1.dup(); // both reversible streams start as the inputs
        CachedAttention attention = new CachedAttention(config.attentionHeadSize());
        for (int i = 0; i < lsh.length; i++) {
            Params.Layer p = params.layers.get(i);
            INDArray normed = LayerNorm.forward(x2, p.attentionNormWeight(), p.attentionNormBias(), config.layerNormEps());
            float[] heads = isLsh(i) ? lshAttention(i, state, normed, attention) : localAttention(i, state, normed, attention);
            INDArray attended = Linear.forward(Nd4j.create(heads, new long[]{n, config.allHeadSize()}).castTo(dtype),
                    p.attentionOutput(), null);
            INDArray y1 = attended.addi(x1);
            INDArray y2 = FeedForward.forward(y1, p.feedForward(), config.layerNormEps(), config.hiddenAct(),
                    config.chunkSizeFeedForward(), Dropout.NONE, 0).addi(x2);
            x1 = y1;
            x2 = y2;
        }
        state.advance(n);
        return LayerNorm.forward(Nd4j.concat(1, x1, x2), params.finalNormWeight, params.finalNormBias, config.layerNormEps());
    }

    // ---- local attention: the cache holds the current and previous chunks' keys and values ----------------------

    private float[] localAttention(int layer, StreamState state, INDArray normed, CachedAttention attention) {
        Params.Layer p = params.layers.get(layer);
        int n = (int) normed.size(0), heads = config.numAttentionHeads(), d = config.attentionHeadSize();
        float[] q = floats(Linear.forward(normed, p.query(), null));
        float[] k = floats(Linear.forward(normed, p.key(), null));
        float[] v = floats(Linear.forward(normed, p.value(), null));
        float inverseRootD = (float) (1 / Math.sqrt(d));
        for (int i = 0; i < k.length; i++) k[i] *= inverseRootD;
        StreamState.LayerCache cache = state.layer(layer);
        long first = state.nextPosition();
        for (int t = 0; t < n; t++) cache.append(first + t, k, v, t, null);
        int chunk = config.localAttnChunkLength();
        float[] out = new float[n * heads * d];
        int[] rows = new int[cache.size()];
        for (int t = 0; t < n; t++) {
            long position = first + t, from = Math.floorDiv(position, chunk) * chunk - (long) config.localNumChunksBefore() * chunk;
            for (int h = 0; h < heads; h++) {
                int count = 0;
                for (int e = 0; e < cache.size(); e++) {
                    long keyPosition = cache.position(e);
                    if (keyPosition >= from && keyPosition <= position) rows[count++] = cache.offset(e, h);
                }
                attention.attend(q, (t * heads + h) * d, cache.keys(), cache.values(), rows, count, -1, out, (t * heads + h) * d);
            }
        }
        cache.evictBefore(Math.floorDiv(first + n, chunk) * chunk - (long) config.localNumChunksBefore() * chunk);
        return out;
    }

    // ---- LSH attention: the cache holds the context's keys, values and buckets -----------------------------------

    private float[] lshAttention(int layer, StreamState state, INDArray normed, CachedAttention attention) {
        Params.Layer p = params.layers.get(layer);
        int n = (int) normed.size(0), heads = config.numAttentionHeads(), d = config.attentionHeadSize();
        int rounds = config.numHashes(), keysPerBucket = LshSelfAttention.streamingKeysPerBucket(config);
        INDArray queryKeyRows = Linear.forward(normed, p.queryKey(), null);
        float[] q = floats(queryKeyRows), v = floats(Linear.forward(normed, p.value(), null));
        int[][][][] buckets = lsh[layer].hash(queryKeyRows.reshape((long) n * heads, d), null, 1, n); // [1][H][R][n]
        float[] keys = q.clone();
        for (int row = 0; row < n * heads; row++) { // shared query/key: the key is the query at unit length over sqrt(D)
            double sumOfSquares = 0;
            for (int c = 0; c < d; c++) sumOfSquares += (double) q[row * d + c] * q[row * d + c];
            float scale = (float) ChunkedAttention.sharedKeyScale(sumOfSquares, d);
            for (int c = 0; c < d; c++) keys[row * d + c] *= scale;
        }
        StreamState.LayerCache cache = state.layer(layer);
        long first = state.nextPosition();
        int[] positionBuckets = new int[heads * rounds];
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) for (int r = 0; r < rounds; r++) positionBuckets[h * rounds + r] = buckets[0][h][r][t];
            cache.append(first + t, keys, v, t, positionBuckets);
        }
        float[] out = new float[n * heads * d];
        double[] logsumexps = new double[rounds];
        float[][] perRound = new float[rounds][d];
        int[] rows = new int[Math.min(cache.size(), keysPerBucket)];
        for (int t = 0; t < n; t++) {
            long position = first + t, lowest = Math.max(position - config.streamingContextLength() + 1, cache.position(0));
            for (int h = 0; h < heads; h++) {
                for (int r = 0; r < rounds; r++) {
                    // the query's own entry, then back along its bucket's links: newest first, self at 0
                    int count = 0, column = h * rounds + r;
                    for (long key = position; key >= lowest && count < keysPerBucket; count++) {
                        int e = cache.entryOf(key);
                        rows[count] = cache.offset(e, h);
                        key = cache.previousSame(e, column);
                    }
                    logsumexps[r] = attention.attend(q, (t * heads + h) * d, cache.keys(), cache.values(), rows, count, 0, perRound[r], 0);
                }
                combineRounds(perRound, logsumexps, out, (t * heads + h) * d);
            }
        }
        cache.evictBefore(first + n - config.streamingContextLength() + 1);
        return out;
    }

    /** out = sum over rounds of softmax(logsumexps)_r * perRound[r] */
    private static void combineRounds(float[][] perRound, double[] logsumexps, float[] out, int at) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double l : logsumexps) max = Math.max(max, l);
        for (double l : logsumexps) sum += Math.exp(l - max);
        for (int r = 0; r < perRound.length; r++) {
            double weight = Math.exp(logsumexps[r] - max) / sum;
            for (int c = 0; c < perRound[r].length; c++) out[at + c] += (float) (weight * perRound[r][c]);
        }
    }

    private static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).reshape(a.length()).toFloatVector();
    }

    private boolean isLsh(int layer) {
        return config.attnLayers().get(layer).equals("lsh");
    }
}
