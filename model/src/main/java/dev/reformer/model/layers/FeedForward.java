package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.function.BiFunction;

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
        return forward(x, w, eps, activation, chunkSize, Dropout.NONE, 0);
    }

    /**
     * With dropout as the reference places it: after the first dense layer (before the activation) and
     * after the output layer; site and site + 1 name the two masks.
     */
    public static INDArray forward(INDArray x, Weights w, double eps, String activation, int chunkSize,
                                   Dropout dropout, long site) {
        return inChunks(x, chunkSize, (first, rows) -> {
            INDArray normed = LayerNorm.forward(rows, w.normWeight(), w.normBias(), eps);
            INDArray hidden = dropout.apply(Linear.forward(normed, w.denseWeight(), w.denseBias()), site, first);
            INDArray out = Linear.forward(Activation.forward(activation, hidden), w.outputWeight(), w.outputBias());
            return dropout.apply(out, site + 1, first);
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
        return backward(x, w, eps, activation, chunkSize, Dropout.NONE, 0, dy, grads);
    }

    /** The backward of the forward with dropout: the same masks, from the same seed and sites. */
    public static INDArray backward(INDArray x, Weights w, double eps, String activation, int chunkSize,
                                    Dropout dropout, long site, INDArray dy, Weights grads) {
        INDArray rowsAndGradients = Nd4j.concat(1, x, dy);                                    // [N, 2C]
        long c = x.size(1);
        return inChunks(rowsAndGradients, chunkSize, (first, both) -> {
            INDArray rows = both.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c));
            INDArray dOut = dropout.apply(both.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c)), site + 1, first);
            INDArray normed = LayerNorm.forward(rows, w.normWeight(), w.normBias(), eps);
            INDArray hidden = dropout.apply(Linear.forward(normed, w.denseWeight(), w.denseBias()), site, first);
            INDArray activated = Activation.forward(activation, hidden);
            INDArray dActivated = Linear.backward(activated, w.outputWeight(), dOut, grads.outputWeight(), grads.outputBias());
            INDArray dHidden = dropout.apply(Activation.backward(activation, hidden, dActivated), site, first);
            INDArray dNormed = Linear.backward(normed, w.denseWeight(), dHidden, grads.denseWeight(), grads.denseBias());
            return LayerNorm.backward(rows, w.normWeight(), eps, dNormed, grads.normWeight(), grads.normBias());
        });
    }

    /**
     * Applies f(first row, rows) to row blocks of chunkSize (0 = all rows at once) and stacks the results.
     * x [N, *] → [N, C']
     */
    private static INDArray inChunks(INDArray x, int chunkSize, BiFunction<Long, INDArray, INDArray> f) {
        long n = x.size(0);
        if (chunkSize <= 0 || chunkSize >= n) return f.apply(0L, x);
        INDArray out = null;
        for (long start = 0; start < n; start += chunkSize) {
            INDArrayIndex rows = NDArrayIndex.interval(start, Math.min(n, start + chunkSize));
            INDArray part = f.apply(start, x.get(rows, NDArrayIndex.all()));
            if (out == null) out = Nd4j.create(x.dataType(), n, part.size(1));
            out.get(rows, NDArrayIndex.all()).assign(part);
        }
        return out;
    }
}
