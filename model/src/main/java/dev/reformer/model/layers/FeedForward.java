package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The feed-forward half of a reversible layer: layer norm, dense, activation, dense. Positions are
 * independent, so they are processed chunkSize at a time to bound the [N, F] intermediate's memory.
 */
public final class FeedForward {
    private FeedForward() {}

    /**
     * @param x [N, C]
     * @param denseWeight [F, C]; denseBias [F]; outputWeight [C, F]; outputBias [C]
     * @param chunkSize rows per chunk; 0 = all at once
     * @return [N, C]
     */
    public static INDArray forward(INDArray x, INDArray normWeight, INDArray normBias, double eps,
                                   INDArray denseWeight, INDArray denseBias, String activation,
                                   INDArray outputWeight, INDArray outputBias, int chunkSize) {
        long n = x.size(0);
        if (chunkSize <= 0 || chunkSize >= n) {
            return forwardChunk(x, normWeight, normBias, eps, denseWeight, denseBias, activation, outputWeight, outputBias);
        }
        INDArray out = Nd4j.create(x.dataType(), n, outputWeight.size(0));
        for (long start = 0; start < n; start += chunkSize) {
            long end = Math.min(n, start + chunkSize);
            INDArray rows = x.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
            out.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).assign(
                    forwardChunk(rows, normWeight, normBias, eps, denseWeight, denseBias, activation, outputWeight, outputBias));
        }
        return out;
    }

    private static INDArray forwardChunk(INDArray x, INDArray normWeight, INDArray normBias, double eps,
                                         INDArray denseWeight, INDArray denseBias, String activation,
                                         INDArray outputWeight, INDArray outputBias) {
        INDArray normed = LayerNorm.forward(x, normWeight, normBias, eps);
        INDArray hidden = Activation.forward(activation, Linear.forward(normed, denseWeight, denseBias));
        return Linear.forward(hidden, outputWeight, outputBias);
    }
}
