package dev.reformer.model.train;

import dev.reformer.model.ReformerModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A linear head's weight [K, 2C] and bias [K] with their gradients and tensor names, on top of an encoder:
 * what the classifier and the transcriber share, so their parameter maps are built in one place.
 */
final class Head {
    final String weightName, biasName;
    final INDArray weight, bias, weightGrad, biasGrad;

    Head(String weightName, String biasName, INDArray weight, INDArray bias) {
        this.weightName = weightName;
        this.biasName = biasName;
        this.weight = weight;
        this.bias = bias;
        this.weightGrad = Nd4j.zerosLike(weight);
        this.biasGrad = Nd4j.zerosLike(bias);
    }

    /** outputs x 2C, weight ~ N(0, initializer_range), bias 0, in the encoder's data type. */
    static Head fresh(String weightName, String biasName, int outputs, Encoder encoder, long seed) {
        ReformerModel model = encoder.model();
        return new Head(weightName, biasName, Encoder.initialWeight(model, outputs, 2 * model.config().hiddenSize(), seed),
                Nd4j.zeros(model.params().wordEmbeddings.dataType(), outputs));
    }

    int outputs() {
        return (int) weight.size(0);
    }

    Map<String, INDArray> params(Encoder encoder) {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.params());
        m.put(weightName, weight);
        m.put(biasName, bias);
        return m;
    }

    Map<String, INDArray> gradients(Encoder encoder) {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.gradients());
        m.put(weightName, weightGrad);
        m.put(biasName, biasGrad);
        return m;
    }

    void zeroGradients(Encoder encoder) {
        encoder.zeroGradients();
        weightGrad.assign(0);
        biasGrad.assign(0);
    }
}
