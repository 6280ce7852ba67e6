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
        return normalise(x, eps).muliRowVector(weight).addiRowVector(bias);
    }

    /**
     * Backward recomputes the normalised input from x instead of keeping it. Adds into dWeight and dBias [C].
     *
     * @param x [N, C] the forward input
     * @param dy [N, C]
     * @return dx [N, C] = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy * weight
     */
    public static INDArray backward(INDArray x, INDArray weight, double eps, INDArray dy, INDArray dWeight, INDArray dBias) {
        INDArray centered = x.sub(x.mean(true, 1));
        INDArray rstd = Transforms.pow(centered.mul(centered).mean(true, 1).addi(eps), -0.5, false); // [N, 1]
        INDArray normed = centered.mul(rstd);                                                 // [N, C]
        dWeight.addi(dy.mul(normed).sum(0));
        dBias.addi(dy.sum(0));
        INDArray dNormed = dy.mulRowVector(weight);
        INDArray meanDNormed = dNormed.mean(true, 1);
        INDArray meanDNormedNormed = dNormed.mul(normed).mean(true, 1);
        return dNormed.subi(meanDNormed).subi(normed.muli(meanDNormedNormed)).muli(rstd);
    }

    /** (x - mean) / sqrt(var + eps) per row. x [N, C] → [N, C] */
    private static INDArray normalise(INDArray x, double eps) {
        INDArray mean = x.mean(true, 1);                       // [N, 1]
        INDArray centered = x.sub(mean);                       // [N, C]
        INDArray variance = centered.mul(centered).mean(true, 1);
        INDArray rstd = Transforms.pow(variance.addi(eps), -0.5, false); // [N, 1]
        return centered.muli(rstd);
    }
}
