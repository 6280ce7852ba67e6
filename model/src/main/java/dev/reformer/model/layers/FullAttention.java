package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Full shared-query/key attention with the self-mask, as dense ND4J matrix products over the whole
 * sequence: O(T^2) time and memory. The baseline LSH attention is measured against, and an independent
 * statement of what LSH attention computes when every key is within reach.
 */
public final class FullAttention {
    private FullAttention() {}

    /**
     * @param queryKey [B*T*H, D] shared query/key rows in [B, T, H] order
     * @param value [B*T*H, D]
     * @param keyValid [B][T] false at padding, or null
     * @return [B, T, H*D]
     */
    public static INDArray sharedQk(INDArray queryKey, INDArray value, int batch, int length, int heads,
                                    boolean causal, boolean[][] keyValid) {
        int d = (int) queryKey.size(1);
        INDArray q = queryKey.reshape(batch, length, heads, d).permute(0, 2, 1, 3).dup('c'); // [B, H, T, D]
        INDArray v = value.reshape(batch, length, heads, d).permute(0, 2, 1, 3).dup('c');
        INDArray k = LshSelfAttention.lengthAndDimNorm(q.reshape((long) batch * heads * length, d))
                .reshape(batch, heads, length, d);
        INDArray scores = Nd4j.matmul(q, k, false, true, false);                                  // [B, H, T, T]
        boolean onlySelfMask = !causal && keyValid == null;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                INDArray s = scores.slice(b).slice(h);                                             // [T, T]
                for (int i = 0; i < length; i++) {
                    for (int j = 0; j < length && !onlySelfMask; j++) {
                        if ((causal && j > i) || (keyValid != null && !keyValid[b][j])) {
                            s.putScalar(i, j, ChunkedAttention.MASK_VALUE);
                        }
                    }
                    s.putScalar(i, i, ChunkedAttention.SELF_MASK_VALUE);
                }
            }
        }
        Transforms.exp(scores.subi(scores.max(true, 3)), false);
        scores.divi(scores.sum(true, 3));
        INDArray out = Nd4j.matmul(scores, v);                                                    // [B, H, T, D]
        return out.permute(0, 2, 1, 3).dup('c').reshape(batch, length, (long) heads * d);
    }
}
