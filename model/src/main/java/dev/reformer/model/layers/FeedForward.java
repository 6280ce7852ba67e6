package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.function.Function;

/**
 * The feed-forward half of a reversible layer: layer norm, dense, activation, dense. Positions are
 * independent, so they are processed chunkSize at a time to bound the [N, F] intermediate's memory,
 * in backward as in forward.
 */
public final class FeedForward {
    private FeedForward() {}

    /** The layer's tensors (or their gradients): norm [C], [C]; dense [F, C], [F]; output [C, F], [C]. */
    public record Weights(INDArray normWeight, INDArray normBias, INDArray denseWeight, INDArray denseBias,
                          INDArray outputWeight, INDArray outputBias) {}

    /**
     * @param x [N, C]
     * @param chunkSize rows per chunk; 0 = all at once
     * @return [N, C]
     */
    public static INDArray forward(INDArray x, Weights w, double eps, String activation, int chunkSize) {
        return inChunks(x, chunkSize, rows -> {
            INDArray normed = LayerNorm.forward(rows, w.normWeight(), w.normBias(), eps);
            INDArray hidden = Linear.forward(normed, w.denseWeight(), w.denseBias());
            return Linear.forward(Activation.forward(activation, hidden), w.outputWeight(), w.outputBias());
        });
    }

    /**
     * Recomputes each chunk's intermediates from x, then backpropagates dy through them; adds into grads.
     *
     * @param x [N, C] the forward input
     * @param dy [N, C]
     * @return dx [N, C]
     */
    public static INDArray backward(INDArray x, Weights w, double eps, String activation, int chunkSize,
                                    INDArray dy, Weights grads) {
        INDArray rowsAndGradients = Nd4j.concat(1, x, dy);                                    // [N, 2C]
        long c = x.size(1);
        return inChunks(rowsAndGradients, chunkSize, both -> {
            INDArray rows = both.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c));
            INDArray dOut = both.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c));
            INDArray normed = LayerNorm.forward(rows, w.normWeight(), w.normBias(), eps);
            INDArray hidden = Linear.forward(normed, w.denseWeight(), w.denseBias());
            INDArray activated = Activation.forward(activation, hidden);
            INDArray dActivated = Linear.backward(activated, w.outputWeight(), dOut, grads.outputWeight(), grads.outputBias());
            INDArray dHidden = Activation.backward(activation, hidden, dActivated);
            INDArray dNormed = Linear.backward(normed, w.denseWeight(), dHidden, grads.denseWeight(), grads.denseBias());
            return LayerNorm.backward(rows, w.normWeight(), eps, dNormed, grads.normWeight(), grads.normBias());
        });
    }

    /** Applies f to row blocks of chunkSize (0 = all rows at once) and stacks the results. x [N, *] → [N, C'] */
    private static INDArray inChunks(INDArray x, int chunkSize, Function<INDArray, INDArray> f) {
        long n = x.size(0);
        if (chunkSize <= 0 || chunkSize >= n) return f.apply(x);
        INDArray out = null;
        for (long start = 0; start < n; start += chunkSize) {
            INDArrayIndex rows = NDArrayIndex.interval(start, Math.min(n, start + chunkSize));
            INDArray part = f.apply(x.get(rows, NDArrayIndex.all()));
            if (out == null) out = Nd4j.create(x.dataType(), n, part.size(1));
            out.get(rows, NDArrayIndex.all()).assign(part);
        }
        return out;
    }
}
