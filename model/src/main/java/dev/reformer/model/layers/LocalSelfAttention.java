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
        int heads = config.numAttentionHeads(), d = config.attentionHeadSize(), groups = batch * heads;
        INDArray rows = Attention.rows(hidden);
        INDArray query = Attention.splitHeads(Linear.forward(rows, queryWeight, null), batch, length, heads, d);
        INDArray key = Attention.splitHeads(Linear.forward(rows, keyWeight, null), batch, length, heads, d)
                .divi(Math.sqrt(d));
        INDArray value = Attention.splitHeads(Linear.forward(rows, valueWeight, null), batch, length, heads, d);

        boolean full = length <= config.localAttnChunkLength();
        ChunkedAttention.Result r = ChunkedAttention.forward(
                query.reshape(groups, length, d), key.reshape(groups, length, d), value.reshape(groups, length, d),
                Attention.identityPositions(groups, length),
                new ChunkedAttention.Masking(Attention.anyPadding(keyValid) ? keyValid : null, heads, config.isDecoder(), false),
                full ? length : config.localAttnChunkLength(),
                full ? 0 : config.localNumChunksBefore(), full ? 0 : config.localNumChunksAfter());
        return Attention.mergeHeads(r.out(), batch, length, heads, d);
    }
}
