package dev.reformer.model.train;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Linear;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trunk shared by every task: a Reformer reading token ids, or feature frames (audio) through a linear
 * input projection from the frame width to hidden_size. Owns the trunk's parameters and their gradients;
 * the heads on top own theirs.
 */
public final class Encoder {
    public static final String PROJECTION_WEIGHT = "input_projection.weight", PROJECTION_BIAS = "input_projection.bias";

    private final ReformerModel model;
    private final INDArray projectionWeight, projectionBias;           // [C, F], [C]; null for token input
    private final Params grads;
    private final INDArray projectionWeightGrad, projectionBiasGrad;

    public Encoder(ReformerModel model, INDArray projectionWeight, INDArray projectionBias) {
        this.model = model;
        this.projectionWeight = projectionWeight;
        this.projectionBias = projectionBias;
        DataType dtype = model.params().wordEmbeddings.dataType();
        this.grads = Params.zeros(model.config(), dtype);
        this.projectionWeightGrad = projectionWeight == null ? null : Nd4j.zerosLike(projectionWeight);
        this.projectionBiasGrad = projectionBias == null ? null : Nd4j.zerosLike(projectionBias);
    }

    public static Encoder ofTokens(ReformerModel model) {
        return new Encoder(model, null, null);
    }

    /** Feature input of width featureDims, with a fresh projection initialised as the reference initialises linear layers. */
    public static Encoder ofFeatures(ReformerModel model, int featureDims, long seed) {
        int hidden = model.config().hiddenSize();
        return new Encoder(model, initialWeight(model, hidden, featureDims, seed),
                Nd4j.zeros(model.params().wordEmbeddings.dataType(), hidden));
    }

    /** A linear layer's weight [rows, cols] ~ N(0, initializer_range), as the reference initialises them, in the model's type. */
    static INDArray initialWeight(ReformerModel model, int rows, int cols, long seed) {
        Random random = new Random(seed);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = random.nextGaussian() * model.config().initializerRange();
        return Nd4j.create(w, new long[]{rows, cols}, DataType.DOUBLE).castTo(model.params().wordEmbeddings.dataType());
    }

    public ReformerModel model() { return model; }

    /** Width of a feature frame; 0 when the input is token ids. */
    public int featureDims() { return projectionWeight == null ? 0 : (int) projectionWeight.size(1); }

    /**
     * A padded batch: ids [B][T] or features [B, T, F], the mask [B][T] (1 real, 0 padding) and each row's
     * real length (a prefix).
     */
    public record Batch(int[][] ids, INDArray features, int[][] mask, int[] lengths) {
        public int size() { return lengths.length; }
    }

    /** Pads examples to the longest one. */
    public Batch batch(List<Example> examples) {
        int length = examples.stream().mapToInt(Example::length).max().orElse(1);
        int rows = examples.size(), dims = featureDims();
        int[][] mask = new int[rows][length];
        int[] lengths = new int[rows];
        int[][] ids = dims == 0 ? new int[rows][length] : null;
        float[] features = dims == 0 ? null : new float[rows * length * dims];
        for (int i = 0; i < rows; i++) {
            Example e = examples.get(i);
            lengths[i] = e.length();
            java.util.Arrays.fill(mask[i], 0, e.length(), 1);
            if (dims == 0) {
                if (e.ids() == null) throw new IllegalArgumentException("this model reads token ids; the example has features");
                System.arraycopy(e.ids(), 0, ids[i], 0, e.length());
            } else {
                if (e.features() == null) throw new IllegalArgumentException("this model reads feature frames; the example has token ids");
                for (int t = 0; t < e.length(); t++) {
                    if (e.features()[t].length != dims) throw new IllegalArgumentException("frame " + t + " has "
                            + e.features()[t].length + " values, the model's input projection takes " + dims);
                    System.arraycopy(e.features()[t], 0, features, (i * length + t) * dims, dims);
                }
            }
        }
        INDArray featureArray = features == null ? null
                : Nd4j.create(features, new long[]{rows, length, dims}).castTo(model.params().wordEmbeddings.dataType());
        return new Batch(ids, featureArray, mask, lengths);
    }

    public Map<String, INDArray> params() {
        Map<String, INDArray> m = new LinkedHashMap<>(model.params().named());
        if (projectionWeight != null) {
            m.put(PROJECTION_WEIGHT, projectionWeight);
            m.put(PROJECTION_BIAS, projectionBias);
        }
        return m;
    }

    public Map<String, INDArray> gradients() {
        Map<String, INDArray> m = new LinkedHashMap<>(grads.named());
        if (projectionWeight != null) {
            m.put(PROJECTION_WEIGHT, projectionWeightGrad);
            m.put(PROJECTION_BIAS, projectionBiasGrad);
        }
        return m;
    }

    public void zeroGradients() {
        grads.zero();
        if (projectionWeight != null) {
            projectionWeightGrad.assign(0);
            projectionBiasGrad.assign(0);
        }
    }

    /** The last hidden state [B, T, 2C]; training runs with dropout and keeps what backward needs. */
    public ReformerModel.Output forward(Batch batch, boolean training) {
        if (batch.ids() != null) {
            return training ? model.forwardForTraining(batch.ids(), batch.mask()) : model.forward(batch.ids(), batch.mask());
        }
        INDArray projected = project(batch.features());
        return training ? model.forwardEmbeddingsForTraining(projected, batch.mask()) : model.forwardEmbeddings(projected, batch.mask());
    }

    /** Frames [B, T, F] to input vectors [B, T, C]. */
    private INDArray project(INDArray features) {
        long rows = features.size(0), length = features.size(1);
        return Linear.forward(features.reshape(rows * length, features.size(2)), projectionWeight, projectionBias)
                .reshape(rows, length, projectionWeight.size(0));
    }

    /** Adds the gradients of the trunk (and projection) for dLastHidden [B, T, 2C]; consumes output's cache. */
    public void backward(Batch batch, ReformerModel.Output output, INDArray dLastHidden) {
        INDArray dInputs = model.backward(output, dLastHidden, grads);
        if (batch.features() != null) {
            long rows = batch.features().size(0), length = batch.features().size(1);
            Linear.backward(batch.features().reshape(rows * length, batch.features().size(2)), projectionWeight,
                    dInputs.reshape(rows * length, dInputs.size(2)), projectionWeightGrad, projectionBiasGrad);
        }
    }
}
