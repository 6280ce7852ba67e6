package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Layer normalisation over the last dimension (biased variance, as torch.nn.LayerNorm). */
public final class LayerNorm {
    private LayerNorm() {}

    /**
     * @param x [N, C]
     * @param weight [C]
     * @param bias [C]
     * @return [N, C]
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias, double eps) {
        INDArray mean = x.mean(true, 1);                       // [N, 1]
        INDArray centered = x.sub(mean);                       // [N, C]
        INDArray variance = centered.mul(centered).mean(true, 1);
        INDArray rstd = Transforms.pow(variance.addi(eps), -0.5, false); // [N, 1]
        return centered.muli(rstd).muliRowVector(weight).addiRowVector(bias);
    }
}
