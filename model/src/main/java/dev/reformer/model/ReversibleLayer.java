package dev.reformer.model;

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

    public ReversibleLayer(ReformerConfig config, Params.Layer params, boolean isLsh, Rotations rotations) {
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
        AttentionOutput f = attention(x2, batch, length, keyValid);
        INDArray y1 = x1.add(f.out);
        INDArray y2 = x2.add(feedForward(y1));
        return new Output(y1, y2, f.buckets);
    }

    private record AttentionOutput(INDArray out, int[][][][] buckets) {}

    /** F: layer norm, LSH or local self-attention, output projection. x [B*T, C] → [B*T, C] */
    private AttentionOutput attention(INDArray x, int batch, int length, boolean[][] keyValid) {
        Params.Layer p = params;
        INDArray normed = LayerNorm.forward(x, p.attentionNormWeight(), p.attentionNormBias(), config.layerNormEps())
                .reshape(batch, length, config.hiddenSize());
        INDArray heads;
        int[][][][] buckets = null;
        if (lsh != null) {
            LshSelfAttention.Result r = lsh.forward(normed, p.queryKey(), p.value(), keyValid);
            heads = r.out();
            buckets = r.buckets();
        } else {
            heads = local.forward(normed, p.query(), p.key(), p.value(), keyValid);
        }
        INDArray out = Linear.forward(heads.reshape((long) batch * length, config.allHeadSize()), p.attentionOutput(), null);
        return new AttentionOutput(out, buckets);
    }

    /** G: the chunked feed-forward. x [B*T, C] → [B*T, C] */
    private INDArray feedForward(INDArray x) {
        Params.Layer p = params;
        return FeedForward.forward(x, p.feedForwardNormWeight(), p.feedForwardNormBias(), config.layerNormEps(),
                p.feedForwardDenseWeight(), p.feedForwardDenseBias(), config.hiddenAct(),
                p.feedForwardOutputWeight(), p.feedForwardOutputBias(), config.chunkSizeFeedForward());
    }
}
