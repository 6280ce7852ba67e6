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
        int batch = (int) hidden.size(0), length = (int) hidden.size(1);
        int heads = config.numAttentionHeads(), d = config.attentionHeadSize();
        long rows = (long) batch * length * heads;
        INDArray x = Attention.rows(hidden);
        INDArray query = Linear.forward(x, queryWeight, null).reshape(rows, d);              // [B*T*H, D]
        INDArray key = Linear.forward(x, keyWeight, null).reshape(rows, d).divi(Math.sqrt(d));
        INDArray value = Linear.forward(x, valueWeight, null).reshape(rows, d);

        boolean full = length <= config.localAttnChunkLength();
        ChunkedAttention.Plan plan = new ChunkedAttention.Plan(batch, length, heads, d, 1,
                full ? length : config.localAttnChunkLength(),
                full ? 0 : config.localNumChunksBefore(), full ? 0 : config.localNumChunksAfter(),
                Attention.identityPositions(batch * heads, length),
                new ChunkedAttention.Masking(keyValid, config.isDecoder(), false));
        return ChunkedAttention.forward(query, key, value, plan).reshape(batch, length, (long) heads * d);
    }
}
