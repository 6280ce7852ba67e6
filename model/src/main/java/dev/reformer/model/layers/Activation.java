package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The feed-forward activations of the reference (transformers' ACT2FN names). */
public final class Activation {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI), GELU_CUBIC = 0.044715;

    private Activation() {}

    /** Element-wise; returns a new array of the shape of x. */
    public static INDArray forward(String name, INDArray x) {
        switch (name) {
            case "relu":
                return Transforms.relu(x, true);
            case "gelu": // exact: x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2
                return normalCdf(x).muli(x);
            case "gelu_new": // tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                return Transforms.tanh(geluNewInner(x), false).addi(1.0).muli(x).muli(0.5);
            case "silu":
                return Transforms.sigmoid(x, true).muli(x);
            default:
                throw new IllegalArgumentException("unknown activation " + name + "; supported: relu, gelu, gelu_new, silu");
        }
    }

    /**
     * @param x the forward input (pre-activation)
     * @param dy the gradient of the output
     * @return dy * f'(x)
     */
    public static INDArray backward(String name, INDArray x, INDArray dy) {
        switch (name) {
            case "relu":
                return dy.mul(x.gt(0).castTo(x.dataType()));
            case "gelu": { // Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
                INDArray density = Transforms.exp(x.mul(x).muli(-0.5), false).muli(1 / Math.sqrt(2 * Math.PI));
                return normalCdf(x).addi(density.muli(x)).muli(dy);
            }
            case "gelu_new": { // (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
                INDArray t = Transforms.tanh(geluNewInner(x), false);
                INDArray slope = x.mul(x).muli(3 * GELU_CUBIC).addi(1.0).muli(SQRT_2_OVER_PI);
                INDArray inner = t.mul(t).rsubi(1.0).muli(slope).muli(x).muli(0.5);
                return t.addi(1.0).muli(0.5).addi(inner).muli(dy);
            }
            case "silu": { // s (1 + x (1 - s)), s = sigmoid(x)
                INDArray s = Transforms.sigmoid(x, true);
                return s.rsub(1.0).muli(x).addi(1.0).muli(s).muli(dy);
            }
            default:
                throw new IllegalArgumentException("unknown activation " + name + "; supported: relu, gelu, gelu_new, silu");
        }
    }

    private static INDArray normalCdf(INDArray x) {
        return Nd4j.getExecutioner().exec(new Erf(x.div(Math.sqrt(2.0)))).addi(1.0).muli(0.5);
    }

    private static INDArray geluNewInner(INDArray x) {
        return x.mul(x).muli(x).muli(GELU_CUBIC).addi(x).muli(SQRT_2_OVER_PI);
    }
}
