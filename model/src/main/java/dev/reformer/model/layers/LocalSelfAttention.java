package dev.reformer.model.layers;

import dev.reformer.model.ReformerConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Local self-attention: separate query, key and value projections; each chunk of
 * local_attn_chunk_length positions attends to itself and its neighbour chunks (wrapping around at
 * the ends, as the reference does); no self-mask. Excludes the output projection and the layer norm.
 */
public final class LocalSelfAttention {
    private final ReformerConfig config;

    public LocalSelfAttention(ReformerConfig config) {
        this.config = config;
    }

    /**
     * @param hidden [B, T, C] (already layer-normed)
     * @param queryWeight [H*D, C]; keyWeight, valueWeight likewise
     * @param keyValid [B][T], false at padding; null for none
     * @return [B, T, H*D]
     */
    public INDArray forward(INDArray hidden, INDArray queryWeight, INDArray keyWeight, INDArray valueWeight,
                            boolean[][] keyValid) {
        return forward(hidden, queryWeight, keyWeight, valueWeight, keyValid, Dropout.NONE);
    }

    /** The same with dropout of the attention probabilities (training; local_attention_probs_dropout_prob). */
    public INDArray forward(INDArray hidden, INDArray queryWeight, INDArray keyWeight, INDArray valueWeight,
                            boolean[][] keyValid, Dropout probabilityDropout) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1), d = config.attentionHeadSize();
        long rows = (long) batch * length * config.numAttentionHeads();
        INDArray x = Attention.rows(hidden);
        INDArray query = Linear.forward(x, queryWeight, null).reshape(rows, d);              // [B*T*H, D]
        INDArray key = Linear.forward(x, keyWeight, null).reshape(rows, d).divi(Math.sqrt(d));
        INDArray value = Linear.forward(x, valueWeight, null).reshape(rows, d);
        return ChunkedAttention.forward(query, key, value, plan(batch, length, keyValid, probabilityDropout))
                .reshape(batch, length, (long) config.allHeadSize());
    }

    /**
     * Recomputes the projections and goes back through the chunked attention and the projections. Adds into
     * dQueryWeight, dKeyWeight and dValueWeight.
     *
     * @param dOut [B, T, H*D]
     * @return dHidden [B, T, C]
     */
    public INDArray backward(INDArray hidden, INDArray queryWeight, INDArray keyWeight, INDArray valueWeight,
                             boolean[][] keyValid, INDArray dOut,
                             INDArray dQueryWeight, INDArray dKeyWeight, INDArray dValueWeight) {
        return backward(hidden, queryWeight, keyWeight, valueWeight, keyValid, Dropout.NONE, dOut,
                dQueryWeight, dKeyWeight, dValueWeight);
    }

    /** The backward of the forward with probability dropout: the same masks, from the same seed. */
    public INDArray backward(INDArray hidden, INDArray queryWeight, INDArray keyWeight, INDArray valueWeight,
                             boolean[][] keyValid, Dropout probabilityDropout, INDArray dOut,
                             INDArray dQueryWeight, INDArray dKeyWeight, INDArray dValueWeight) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1), d = config.attentionHeadSize();
        long rows = (long) batch * length * config.numAttentionHeads(), width = config.allHeadSize();
        INDArray x = Attention.rows(hidden);
        INDArray query = Linear.forward(x, queryWeight, null).reshape(rows, d);
        INDArray key = Linear.forward(x, keyWeight, null).reshape(rows, d).divi(Math.sqrt(d));
        INDArray value = Linear.forward(x, valueWeight, null).reshape(rows, d);
        ChunkedAttention.Gradients g = ChunkedAttention.backward(query, key, value,
                plan(batch, length, keyValid, probabilityDropout),
                dOut.reshape(rows, d));
        long n = x.size(0);
        return Linear.backward(x, queryWeight, g.queries().reshape(n, width), dQueryWeight, null)
                .addi(Linear.backward(x, keyWeight, g.keys().reshape(n, width).divi(Math.sqrt(d)), dKeyWeight, null))
                .addi(Linear.backward(x, valueWeight, g.values().reshape(n, width), dValueWeight, null))
                .reshape(hidden.shape());
    }

    private ChunkedAttention.Plan plan(int batch, int length, boolean[][] keyValid, Dropout probabilityDropout) {
        boolean full = length <= config.localAttnChunkLength();
        return new ChunkedAttention.Plan(batch, length, config.numAttentionHeads(), config.attentionHeadSize(), 1,
                full ? length : config.localAttnChunkLength(),
                full ? 0 : config.localNumChunksBefore(), full ? 0 : config.localNumChunksAfter(),
                Attention.identityPositions(batch * config.numAttentionHeads(), length),
                new ChunkedAttention.Masking(keyValid, config.isDecoder(), false), probabilityDropout);
    }
}
