package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The feed-forward activations of the reference (transformers' ACT2FN names). */
public final class Activation {
    private Activation() {}

    /** Element-wise; returns a new array of the shape of x. */
    public static INDArray forward(String name, INDArray x) {
        switch (name) {
            case "relu":
                return Transforms.relu(x, true);
            case "gelu": { // exact: x/2 (1 + erf(x / sqrt 2))
                INDArray erf = Nd4j.getExecutioner().exec(new Erf(x.div(Math.sqrt(2.0))));
                return erf.addi(1.0).muli(x).muli(0.5);
            }
            case "gelu_new": { // tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                INDArray inner = x.mul(x).muli(x).muli(0.044715).addi(x).muli(Math.sqrt(2.0 / Math.PI));
                return Transforms.tanh(inner, false).addi(1.0).muli(x).muli(0.5);
            }
            case "silu":
                return Transforms.sigmoid(x, true).muli(x);
            default:
                throw new IllegalArgumentException("unknown activation " + name + "; supported: relu, gelu, gelu_new, silu");
        }
    }
}
