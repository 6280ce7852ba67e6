package dev.reformer.model;

import dev.reformer.model.layers.Dropout;
import dev.reformer.model.layers.FeedForward;
import dev.reformer.model.layers.LayerNorm;
import dev.reformer.model.layers.Linear;
import dev.reformer.model.layers.LocalSelfAttention;
import dev.reformer.model.layers.LshSelfAttention;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One reversible layer (RevNet): Y1 = X1 + F(X2) with F = attention, Y2 = X2 + G(Y1) with G = feed-forward.
 * Its inputs can be rebuilt from its outputs (X2 = Y2 - G(Y1), X1 = Y1 - F(X2)), which is what lets
 * training keep no per-layer activations.
 */
public final class ReversibleLayer {
    private final ReformerConfig config;
    private final Params.Layer params;
    private final LshSelfAttention lsh;      // null for a local layer
    private final LocalSelfAttention local;  // null for an LSH layer
    private final long site;                 // names this layer's dropout masks

    public ReversibleLayer(ReformerConfig config, Params.Layer params, boolean isLsh, Rotations rotations) {
        this(config, params, isLsh, rotations, 0);
    }

    /** index: the layer's place in the stack, which keeps its dropout masks apart from the other layers'. */
    public ReversibleLayer(ReformerConfig config, Params.Layer params, boolean isLsh, Rotations rotations, int index) {
        this.site = 4L * index + 1;
        this.config = config;
        this.params = params;
        this.lsh = isLsh ? new LshSelfAttention(config, rotations) : null;
        this.local = isLsh ? null : new LocalSelfAttention(config);
    }

    /** @param y1 [B*T, C]; y2 [B*T, C] — the layer's outputs; buckets of an LSH layer (null otherwise) */
    public record Output(INDArray y1, INDArray y2, int[][][][] buckets) {}

    /**
     * @param x1 [B*T, C] the attention stream
     * @param x2 [B*T, C] the feed-forward stream
     * @param keyValid [B][T] false at padding, or null
     */
    public Output forward(INDArray x1, INDArray x2, int batch, int length, boolean[][] keyValid) {
        return forward(x1, x2, batch, length, keyValid, Dropout.NONE);
    }

    /** The same with dropout (training): after the attention's output projection and inside G. */
    public Output forward(INDArray x1, INDArray x2, int batch, int length, boolean[][] keyValid, Dropout dropout) {
        Attended f = attention(x2, batch, length, keyValid, null, dropout);
        INDArray y1 = f.out.addi(x1);                      // F(X2) and G(Y1) are new arrays: add into them
        INDArray y2 = feedForward(y1, dropout).addi(x2);
        return new Output(y1, y2, f.buckets);
    }

    /** The layer's inputs, rebuilt from its outputs, and their gradients. All [B*T, C]. */
    public record Backward(INDArray x1, INDArray x2, INDArray dx1, INDArray dx2) {}

    /**
     * Rebuilds X2 = Y2 - G(Y1) and X1 = Y1 - F(X2), recomputing G and F (F with the forward pass's buckets),
     * and backpropagates through them. Adds the parameter gradients into grads.
     *
     * @param y1 [B*T, C]; y2, dy1, dy2 likewise
     * @param buckets {@link Output#buckets()} of the forward pass
     * @param storedInputs {X1, X2} kept by a standard-residual forward pass, or null to rebuild them
     * @param dropout the forward pass's: its masks are regenerated from its seed
     */
    public Backward backward(INDArray y1, INDArray y2, INDArray dy1, INDArray dy2, int[][][][] buckets,
                             int batch, int length, boolean[][] keyValid, Params.Layer grads, INDArray[] storedInputs,
                             Dropout dropout) {
        // G: Y2 = X2 + G(Y1)
        INDArray x2 = storedInputs != null ? storedInputs[1] : y2.sub(feedForward(y1, dropout));
        INDArray dy1Total = dy1.add(FeedForward.backward(y1, params.feedForward(), config.layerNormEps(),
                config.hiddenAct(), config.chunkSizeFeedForward(), dropout, site + 1, dy2, grads.feedForward()));
        // F: Y1 = X1 + F(X2)
        Attended f = attention(x2, batch, length, keyValid, buckets, dropout);
        INDArray x1 = storedInputs != null ? storedInputs[0] : y1.sub(f.out);
        INDArray dx2 = dy2.add(attentionBackward(x2, f, batch, length, keyValid, dropout.apply(dy1Total, site, 0), grads, dropout));
        return new Backward(x1, x2, dy1Total, dx2);
    }

    /** F's output [B*T, C], its attention heads before the output projection [B*T, H*D], its buckets. */
    private record Attended(INDArray out, INDArray heads, int[][][][] buckets) {}

    /** F: layer norm, LSH or local self-attention, output projection. x [B*T, C] → [B*T, C] */
    private Attended attention(INDArray x, int batch, int length, boolean[][] keyValid, int[][][][] earlierBuckets,
                               Dropout dropout) {
        Params.Layer p = params;
        INDArray normed = normedForAttention(x, batch, length);
        INDArray heads;
        int[][][][] buckets = null;
        if (lsh != null) {
            LshSelfAttention.Result r = lsh.forward(normed, p.queryKey(), p.value(), keyValid, earlierBuckets,
                    probabilityDropout(dropout));
            heads = r.out();
            buckets = r.buckets();
        } else {
            heads = local.forward(normed, p.query(), p.key(), p.value(), keyValid, probabilityDropout(dropout));
        }
        heads = heads.reshape((long) batch * length, config.allHeadSize());
        return new Attended(dropout.apply(Linear.forward(heads, p.attentionOutput(), null), site, 0), heads, buckets);
    }

    /** F backwards, given its recomputed forward f; dOut has been through F's dropout. dOut [B*T, C] → dX [B*T, C] */
    private INDArray attentionBackward(INDArray x, Attended f, int batch, int length, boolean[][] keyValid,
                                       INDArray dOut, Params.Layer grads, Dropout dropout) {
        Params.Layer p = params;
        INDArray dHeads = Linear.backward(f.heads, p.attentionOutput(), dOut, grads.attentionOutput(), null)
                .reshape(batch, length, config.allHeadSize());
        INDArray normed = normedForAttention(x, batch, length);
        INDArray dNormed = lsh != null
                ? lsh.backward(normed, p.queryKey(), p.value(), keyValid, f.buckets, probabilityDropout(dropout), dHeads,
                        grads.queryKey(), grads.value())
                : local.backward(normed, p.query(), p.key(), p.value(), keyValid, probabilityDropout(dropout), dHeads,
                        grads.query(), grads.key(), grads.value());
        return LayerNorm.backward(x, p.attentionNormWeight(), config.layerNormEps(),
                dNormed.reshape((long) batch * length, config.hiddenSize()),
                grads.attentionNormWeight(), grads.attentionNormBias());
    }

    /** This layer's dropout of attention probabilities within a pass (none at inference). */
    private Dropout probabilityDropout(Dropout pass) {
        return pass.derive(lsh != null ? config.lshAttentionProbsDropoutProb() : config.localAttentionProbsDropoutProb(),
                site + 3);
    }

    private INDArray normedForAttention(INDArray x, int batch, int length) {
        return LayerNorm.forward(x, params.attentionNormWeight(), params.attentionNormBias(), config.layerNormEps())
                .reshape(batch, length, config.hiddenSize());
    }

    /** G: the chunked feed-forward. x [B*T, C] → [B*T, C] */
    private INDArray feedForward(INDArray x, Dropout dropout) {
        return FeedForward.forward(x, params.feedForward(), config.layerNormEps(), config.hiddenAct(),
                config.chunkSizeFeedForward(), dropout, site + 1);
    }
}
