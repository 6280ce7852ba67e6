package dev.reformer.model.layers;

/**
 * One query's attention over rows of a stream's cache (what {@code StreamingEncoder} computes for each new position):
 * scores against the chosen keys, softmax, the weighted sum of their values. float32, as the serving kernels; the dot
 * products in vectors when the Vector API is there.
 */
public final class CachedAttention {
    private final int headSize;
    private final float[] lanes = new float[64];
    private float[] scores = new float[0];

    public CachedAttention(int headSize) {
        this.headSize = headSize;
    }

    /**
     * out[outAt, outAt + D) = sum_j softmax(s)_j values[rows_j, +D), s_j = query . keys[rows_j, +D) (keys already
     * scaled), except s_self = the reference's self-mask value when self >= 0 (a position that may see itself only
     * when nothing else is visible).
     *
     * @param rows offsets of the count chosen rows in keys and values
     * @return the logsumexp of the scores: the share of probability mass these keys hold, which weighs hash rounds
     */
    public double attend(float[] query, int queryAt, float[] keys, float[] values, int[] rows, int count, int self,
                         float[] out, int outAt) {
        if (scores.length < count) scores = new float[Math.max(count, 2 * scores.length)];
        int d = headSize;
        if (ChunkedAttention.VECTOR_API) VectorMath.dotRows(query, queryAt, keys, rows, count, d, scores);
        else for (int j = 0; j < count; j++) scores[j] = dot(query, queryAt, keys, rows[j], d);
        if (self >= 0) scores[self] = (float) ChunkedAttention.SELF_MASK_VALUE;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) max = Math.max(max, scores[j]);
        if (ChunkedAttention.VECTOR_API) {
            float sum = VectorMath.expShifted(scores, count, max, lanes);
            VectorMath.scale(scores, 0, count, 1 / sum);
            VectorMath.weightedRows(scores, count, values, rows, d, out, outAt);
            return max + Math.log(sum);
        }
        double sum = 0;
        for (int j = 0; j < count; j++) sum += (scores[j] = (float) Math.exp(scores[j] - max));
        java.util.Arrays.fill(out, outAt, outAt + d, 0f);
        float inverse = (float) (1 / sum);
        for (int j = 0; j < count; j++) {
            float p = scores[j] * inverse;
            int row = rows[j];
            for (int c = 0; c < d; c++) out[outAt + c] += p * values[row + c];
        }
        return max + Math.log(sum);
    }

    private static float dot(float[] a, int aAt, float[] b, int bAt, int n) {
        float s = 0;
        for (int c = 0; c < n; c++) s = Math.fma(b[bAt + c], a[aAt + c], s);
        return s;
    }
}
