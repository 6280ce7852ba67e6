package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A dense layer as the reference stores it: weight (out, in), y = x W^T + b. */
public final class Linear {
    private Linear() {}

    /**
     * @param x [N, in]
     * @param weight [out, in]
     * @param bias [out] or null
     * @return [N, out]
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias) {
        INDArray y = x.mmul(weight.transpose());
        if (bias != null) y.addiRowVector(bias);
        return y;
    }

    /**
     * Adds dy^T x into dWeight [out, in] and the column sums of dy into dBias [out] (when not null).
     *
     * @param x [N, in] the forward input
     * @param dy [N, out]
     * @return dx [N, in] = dy W
     */
    public static INDArray backward(INDArray x, INDArray weight, INDArray dy, INDArray dWeight, INDArray dBias) {
        dWeight.addi(dy.transpose().mmul(x));
        if (dBias != null) dBias.addi(dy.sum(0));
        return dy.mmul(weight);
    }
}
