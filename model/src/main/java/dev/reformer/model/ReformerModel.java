package dev.reformer.model;

import dev.reformer.model.layers.Dropout;
import dev.reformer.model.layers.Embeddings;
import dev.reformer.model.layers.LayerNorm;
import dev.reformer.model.layers.PositionEmbeddings;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * The Reformer encoder: embeddings, a stack of reversible layers over two streams, and the layer norm
 * over both streams concatenated (the reference's ReformerModel, output width 2C).
 *
 * <p>Sequences whose length is not a multiple of the chunk lengths are padded internally (as padding,
 * masked) and cut back, as the reference does at inference.
 */
public final class ReformerModel {
    private final ReformerConfig config;
    private final Params params;
    private final List<ReversibleLayer> layers = new ArrayList<>();

    /** rotations: where LSH layers draw their random rotations (see {@link Rotations#seeded}). */
    public ReformerModel(ReformerConfig config, Params params, Rotations rotations) {
        this.config = config;
        this.params = params;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new ReversibleLayer(config, params.layers.get(i), config.attnLayers().get(i).equals("lsh"), rotations, i));
        }
    }

    /** Rotations from the config's hash_seed, as the reference draws them. */
    public ReformerModel(ReformerConfig config, Params params) {
        this(config, params, Rotations.seeded(config.hashSeed()));
    }

    public ReformerConfig config() { return config; }

    public Params params() { return params; }

    /**
     * @param lastHiddenState [B, T, 2C]
     * @param buckets per layer: [B][H][R][T'] for LSH layers that hashed (T' = internally padded length), else null
     */
    public record Output(INDArray lastHiddenState, List<int[][][][]> buckets, Cache cache) {}

    /**
     * What backward needs from a forward pass, and no more: the last layer's two streams (every earlier
     * layer's inputs are rebuilt from them), the buckets, the padding and the token ids.
     *
     * @param y1 [B*T', C] the attention stream after the last layer (T' = internally padded length)
     * @param y2 [B*T', C] the feed-forward stream
     * @param tokenIds [B*T] the ids of forward(int[][], ...), null for forwardEmbeddings
     */
    public record Cache(INDArray y1, INDArray y2, boolean[][] keyValid, int batch, int length, int originalLength,
                        int[] tokenIds, List<INDArray[]> layerInputs, Dropout dropout) {}

    private static final long EMBEDDING_SITE = -1, OUTPUT_SITE = -2; // layers use sites 1, 2, 3, 5, ...
    private long dropoutSeed;
    private final java.util.concurrent.atomic.AtomicLong dropoutPasses = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Seeds the dropout of training passes: pass n uses masks from (seed, n), so a run repeats exactly and a
     * checkpoint records how many passes were made ({@link #dropoutPasses()}, {@link #resumeDropoutAt}).
     */
    public ReformerModel dropoutSeed(long seed) {
        this.dropoutSeed = seed;
        return this;
    }

    public long dropoutPasses() { return dropoutPasses.get(); }

    public void resumeDropoutAt(long passes) { dropoutPasses.set(passes); }

    /**
     * A training forward pass: as {@link #forward(int[][], int[][])} with the config's hidden_dropout_prob
     * applied (to the embeddings, each attention output, inside each feed-forward, and to the output) and
     * lsh_/local_attention_probs_dropout_prob to the attention probabilities.
     */
    public Output forwardForTraining(int[][] inputIds, int[][] attentionMask) {
        return forward(inputIds, attentionMask, nextDropout());
    }

    /** A training pass's dropout: hidden_dropout_prob, and a seed the attention probabilities derive theirs from. */
    private Dropout nextDropout() {
        long seed = dropoutSeed * 0x9E3779B97F4A7C15L + dropoutPasses.getAndIncrement() + 1; // never the seed of NONE
        return new Dropout(config.hiddenDropoutProb(), seed == 0 ? 1 : seed);
    }

    /**
     * Standard-residual training, for comparison: the forward pass keeps every layer's inputs (X1, X2) and
     * the backward pass uses them instead of rebuilding them, so memory grows with depth.
     */
    public ReformerModel storingActivations(boolean store) {
        this.storeActivations = store;
        return this;
    }

    private boolean storeActivations;

    /**
     * @param inputIds [B][T] token ids in [0, vocab_size)
     * @param attentionMask [B][T] 1 = real, 0 = padding; null = all real
     */
    public Output forward(int[][] inputIds, int[][] attentionMask) {
        return forward(inputIds, attentionMask, Dropout.NONE);
    }

    private Output forward(int[][] inputIds, int[][] attentionMask, Dropout dropout) {
        int batch = inputIds.length, length = inputIds[0].length;
        int[] flat = new int[batch * length];
        for (int b = 0; b < batch; b++) {
            if (inputIds[b].length != length) throw new IllegalArgumentException("input row " + b + " has length "
                    + inputIds[b].length + ", row 0 has " + length + "; pad rows to one length and mask the padding");
            for (int t = 0; t < length; t++) {
                int id = inputIds[b][t];
                if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("token id " + id + " at row "
                        + b + ", position " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                flat[b * length + t] = id;
            }
        }
        INDArray words = Embeddings.gatherRows(params.wordEmbeddings, flat).reshape(batch, length, config.hiddenSize());
        return run(words, attentionMask, flat, dropout);
    }

    /**
     * The same from input vectors (audio frames already projected to C): position embeddings are added here.
     *
     * @param inputEmbeddings [B, T, C]
     * @param attentionMask [B][T] 1 = real, 0 = padding; null = all real
     */
    public Output forwardEmbeddings(INDArray inputEmbeddings, int[][] attentionMask) {
        return run(inputEmbeddings, attentionMask, null, Dropout.NONE);
    }

    /** The training twin of {@link #forwardEmbeddings}, with dropout (see {@link #forwardForTraining}). */
    public Output forwardEmbeddingsForTraining(INDArray inputEmbeddings, int[][] attentionMask) {
        return run(inputEmbeddings, attentionMask, null, nextDropout());
    }

    private Output run(INDArray inputEmbeddings, int[][] attentionMask, int[] tokenIds, Dropout dropout) {
        int batch = (int) inputEmbeddings.size(0), originalLength = (int) inputEmbeddings.size(1), c = config.hiddenSize();
        if (inputEmbeddings.size(2) != c) throw new IllegalArgumentException("input vectors have width "
                + inputEmbeddings.size(2) + ", the model's hidden_size is " + c);
        boolean[][] keyValid = validity(attentionMask, batch, originalLength);

        int length = paddedLength(originalLength);
        INDArray x = inputEmbeddings.castTo(params.wordEmbeddings.dataType());
        if (length != originalLength) { // pad to a multiple of the chunk lengths: zero vectors, masked
            INDArray padded = Nd4j.zeros(x.dataType(), batch, length, c);
            padded.get(NDArrayIndex.all(), NDArrayIndex.interval(0, originalLength), NDArrayIndex.all()).assign(x);
            x = padded;
            boolean[][] valid = new boolean[batch][length];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < originalLength; t++) valid[b][t] = keyValid == null || keyValid[b][t];
            }
            keyValid = valid;
        }
        if (length > config.maxPositionEmbeddings() && !config.isStreaming()) throw new IllegalArgumentException("sequence length " + length
                + " exceeds max_position_embeddings " + config.maxPositionEmbeddings()
                + "; split the input into windows of at most that length");
        INDArray inputs = dropout.apply(x.reshape((long) batch * length, c), EMBEDDING_SITE, 0).reshape(batch, length, c);
        INDArray embeddings = (config.isStreaming() ? inputs.dup() : inputs.add(positionEmbeddings(length).reshape(1, length, c)))
                .reshape((long) batch * length, c);

        // both reversible streams start as the embeddings
        INDArray x1 = embeddings, x2 = embeddings;
        List<int[][][][]> buckets = new ArrayList<>();
        List<INDArray[]> layerInputs = storeActivations ? new ArrayList<>() : null;
        for (ReversibleLayer layer : layers) {
            if (layerInputs != null) layerInputs.add(new INDArray[]{x1, x2});
            ReversibleLayer.Output out = layer.forward(x1, x2, batch, length, keyValid, dropout);
            x1 = out.y1();
            x2 = out.y2();
            buckets.add(out.buckets());
        }
        INDArray hidden = dropout.apply(LayerNorm.forward(Nd4j.concat(1, x1, x2), params.finalNormWeight,
                params.finalNormBias, config.layerNormEps()), OUTPUT_SITE, 0).reshape(batch, length, 2L * c);
        if (length != originalLength) {
            hidden = hidden.get(NDArrayIndex.all(), NDArrayIndex.interval(0, originalLength), NDArrayIndex.all()).dup();
        }
        return new Output(hidden, buckets, new Cache(x1, x2, keyValid, batch, length, originalLength, tokenIds,
                layerInputs, dropout));
    }

    /** [T, C]; a streaming model has none: the causal mask is what tells it where a position is. */
    private INDArray positionEmbeddings(int length) {
        return config.axialPosEmbds()
                ? PositionEmbeddings.axial(params.axialPositionWeights, config.axialPosShape(), length)
                : PositionEmbeddings.plain(params.positionEmbeddings, length);
    }

    /**
     * The backward pass: given the gradient of a loss with respect to lastHiddenState, walks the layers in
     * reverse, rebuilding each layer's inputs from its outputs, and adds every parameter's gradient into grads.
     * It consumes the output's cache (its arrays are freed as they are spent): run it once per forward pass.
     *
     * @param dLastHidden [B, T, 2C]
     * @return the gradient with respect to the input vectors [B, T, C] (of forwardEmbeddings; for token ids
     *         it has gone into the word embeddings' gradient too)
     */
    public INDArray backward(Output output, INDArray dLastHidden, Params grads) {
        Cache cache = output.cache();
        int batch = cache.batch(), length = cache.length(), c = config.hiddenSize();
        INDArray dHidden = dLastHidden.castTo(params.wordEmbeddings.dataType());
        if (length != cache.originalLength()) { // padded positions get no gradient
            INDArray padded = Nd4j.zeros(dHidden.dataType(), batch, length, 2L * c);
            padded.get(NDArrayIndex.all(), NDArrayIndex.interval(0, cache.originalLength()), NDArrayIndex.all()).assign(dHidden);
            dHidden = padded;
        }
        Dropout dropout = cache.dropout();
        INDArray dNormed = dropout.apply(dHidden.reshape((long) batch * length, 2L * c), OUTPUT_SITE, 0);
        INDArray dStreams = LayerNorm.backward(Nd4j.concat(1, cache.y1(), cache.y2()), params.finalNormWeight,
                config.layerNormEps(), dNormed, grads.finalNormWeight, grads.finalNormBias);
        INDArray y1 = cache.y1(), y2 = cache.y2();
        INDArray dy1 = dStreams.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)).dup();
        INDArray dy2 = dStreams.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2L * c)).dup();
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray[] stored = cache.layerInputs() == null ? null : cache.layerInputs().get(i);
            ReversibleLayer.Backward b = layers.get(i).backward(y1, y2, dy1, dy2, output.buckets().get(i),
                    batch, length, cache.keyValid(), grads.layers.get(i), stored, dropout);
            // the layer's outputs and their gradients are spent: free their native memory now, not at the next GC
            release(y1, y2, dy1, dy2, b);
            y1 = b.x1();
            y2 = b.x2();
            dy1 = b.dx1();
            dy2 = b.dx2();
        }
        INDArray dEmbeddings = dy1.addi(dy2);                        // both streams started as the embeddings
        if (config.isStreaming()) {
            // no position embeddings, no gradient for them
        } else if (config.axialPosEmbds()) {
            PositionEmbeddings.axialBackward(dEmbeddings, batch, length, config.axialPosShape(), grads.axialPositionWeights);
        } else {
            PositionEmbeddings.plainBackward(dEmbeddings, batch, length, grads.positionEmbeddings);
        }
        INDArray dInputs = dropout.apply(dEmbeddings, EMBEDDING_SITE, 0);           // [B*T, C]
        if (cache.tokenIds() != null) {
            Embeddings.scatterAdd(dInputs, rowsOf(cache.tokenIds(), batch, cache.originalLength(), length), grads.wordEmbeddings);
        }
        dInputs = dInputs.reshape(batch, length, c);
        return length == cache.originalLength() ? dInputs
                : dInputs.get(NDArrayIndex.all(), NDArrayIndex.interval(0, cache.originalLength()), NDArrayIndex.all()).dup();
    }

    /** Closes each array that the next step does not use (the layer's inputs may be the same objects). */
    private static void release(INDArray y1, INDArray y2, INDArray dy1, INDArray dy2, ReversibleLayer.Backward next) {
        java.util.Set<INDArray> keep = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        keep.addAll(List.of(next.x1(), next.x2(), next.dx1(), next.dx2()));
        java.util.Set<INDArray> closed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (INDArray a : new INDArray[]{y1, y2, dy1, dy2}) {
            if (!keep.contains(a) && !a.isView() && closed.add(a) && !a.wasClosed()) a.close();
        }
    }

    /** Table row of each padded position: the token's id, or -1 for internal padding (no gradient). */
    private static int[] rowsOf(int[] tokenIds, int batch, int originalLength, int length) {
        int[] rows = new int[batch * length];
        java.util.Arrays.fill(rows, -1);
        for (int b = 0; b < batch; b++) System.arraycopy(tokenIds, b * originalLength, rows, b * length, originalLength);
        return rows;
    }

    /** The length the reference pads to: the next multiple of the chunk lengths, unless one chunk covers it. */
    public int paddedLength(int length) {
        int multiple = config.paddingMultiple();
        if (length % multiple == 0 || length <= config.minChunkLength()) return length;
        return (length / multiple + 1) * multiple;
    }

    private static boolean[][] validity(int[][] mask, int batch, int length) {
        if (mask == null) return null;
        if (mask.length != batch) throw new IllegalArgumentException("attention mask has " + mask.length
                + " rows, the input has " + batch);
        boolean[][] valid = new boolean[batch][length];
        for (int b = 0; b < batch; b++) {
            if (mask[b].length != length) throw new IllegalArgumentException("attention mask row " + b + " has length "
                    + mask[b].length + ", the input has " + length);
            for (int t = 0; t < length; t++) valid[b][t] = mask[b][t] != 0;
        }
        return valid;
    }
}
