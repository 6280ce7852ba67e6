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
}
