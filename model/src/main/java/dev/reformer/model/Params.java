package dev.reformer.model;

import dev.reformer.model.layers.FeedForward;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Every parameter of a Reformer encoder, in named fields. {@link #named()} gives them the tensor names
 * of the reference implementation; that method is the one place those names are spelled.
 */
public final class Params {
    /** [V, C] */
    public final INDArray wordEmbeddings;
    /** axial position embeddings, one per axis: [n0, 1, d0], [1, n1, d1], ... (null when not axial) */
    public final List<INDArray> axialPositionWeights;
    /** [max_position_embeddings, C] (null when axial) */
    public final INDArray positionEmbeddings;
    public final List<Layer> layers;
    /** [2C]: the layer norm over both reversible streams */
    public final INDArray finalNormWeight, finalNormBias;

    /**
     * One reversible layer. Attention: query_key (LSH) or query + key (local), value [H*D, C], output [C, H*D].
     * Feed-forward: dense [F, C] + [F], output [C, F] + [C]. Norms [C].
     */
    public record Layer(INDArray attentionNormWeight, INDArray attentionNormBias,
                        INDArray queryKey, INDArray query, INDArray key, INDArray value, INDArray attentionOutput,
                        INDArray feedForwardNormWeight, INDArray feedForwardNormBias,
                        INDArray feedForwardDenseWeight, INDArray feedForwardDenseBias,
                        INDArray feedForwardOutputWeight, INDArray feedForwardOutputBias) {

        public FeedForward.Weights feedForward() {
            return new FeedForward.Weights(feedForwardNormWeight, feedForwardNormBias, feedForwardDenseWeight,
                    feedForwardDenseBias, feedForwardOutputWeight, feedForwardOutputBias);
        }
    }

    private Params(INDArray wordEmbeddings, List<INDArray> axialPositionWeights, INDArray positionEmbeddings,
                   List<Layer> layers, INDArray finalNormWeight, INDArray finalNormBias) {
        this.wordEmbeddings = wordEmbeddings;
        this.axialPositionWeights = axialPositionWeights;
        this.positionEmbeddings = positionEmbeddings;
        this.layers = List.copyOf(layers);
        this.finalNormWeight = finalNormWeight;
        this.finalNormBias = finalNormBias;
    }

    /** Parameter name → tensor, in the reference's names and order. */
    public Map<String, INDArray> named() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", wordEmbeddings);
        if (axialPositionWeights != null) {
            for (int i = 0; i < axialPositionWeights.size(); i++) {
                m.put("embeddings.position_embeddings.weights." + i, axialPositionWeights.get(i));
            }
        } else {
            m.put("embeddings.position_embeddings.embedding.weight", positionEmbeddings);
        }
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "encoder.layers." + i + ".";
            m.put(p + "attention.layer_norm.weight", l.attentionNormWeight);
            m.put(p + "attention.layer_norm.bias", l.attentionNormBias);
            if (l.queryKey != null) {
                m.put(p + "attention.self_attention.query_key.weight", l.queryKey);
            } else {
                m.put(p + "attention.self_attention.query.weight", l.query);
                m.put(p + "attention.self_attention.key.weight", l.key);
            }
            m.put(p + "attention.self_attention.value.weight", l.value);
            m.put(p + "attention.output.dense.weight", l.attentionOutput);
            m.put(p + "feed_forward.layer_norm.weight", l.feedForwardNormWeight);
            m.put(p + "feed_forward.layer_norm.bias", l.feedForwardNormBias);
            m.put(p + "feed_forward.dense.dense.weight", l.feedForwardDenseWeight);
            m.put(p + "feed_forward.dense.dense.bias", l.feedForwardDenseBias);
            m.put(p + "feed_forward.output.dense.weight", l.feedForwardOutputWeight);
            m.put(p + "feed_forward.output.dense.bias", l.feedForwardOutputBias);
        }
        m.put("encoder.layer_norm.weight", finalNormWeight);
        m.put("encoder.layer_norm.bias", finalNormBias);
        return m;
    }

    /** Random parameters as the reference initialises them, from a seed. */
    public static Params init(ReformerConfig config, long seed, DataType dtype) {
        Random random = new Random(seed);
        return build(config, (name, shape) -> {
            if (name.endsWith("layer_norm.weight")) return Nd4j.ones(dtype, shape);
            if (name.endsWith(".bias")) return Nd4j.zeros(dtype, shape);
            double std = name.contains("position_embeddings.weights.") ? config.axialNormStd() : config.initializerRange();
            double[] values = new double[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < values.length; i++) values[i] = random.nextGaussian() * std;
            return Nd4j.create(values, shape, DataType.DOUBLE).castTo(dtype);
        });
    }

    /** Zeros in the shape of every parameter: the gradient accumulator of backward passes. */
    public static Params zeros(ReformerConfig config, DataType dtype) {
        return build(config, (name, shape) -> Nd4j.zeros(dtype, shape));
    }

    /** Sets every tensor to zero, in place (gradients between steps). */
    public void zero() {
        named().values().forEach(t -> t.assign(0));
    }

    /**
     * Parameters from named tensors (a model file or a fixture). Checks that every expected name is there
     * with its exact shape, that nothing else is, and that each is floating point; converts to dtype.
     */
    public static Params fromNamed(ReformerConfig config, Map<String, INDArray> tensors, DataType dtype) {
        Map<String, INDArray> expected = shapesOf(config);
        List<String> problems = new ArrayList<>();
        for (var e : expected.entrySet()) {
            INDArray t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey() + " " + Arrays.toString(e.getValue().shape()));
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(t.shape()) + ", the config needs "
                        + Arrays.toString(e.getValue().shape()));
            } else if (!t.dataType().isFPType()) {
                problems.add(e.getKey() + " has dtype " + t.dataType() + "; parameters must be floating point");
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) problems.add("unexpected tensor " + name);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the weights do not fit the config (" + problems.size() + " problems): "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
                    + (problems.size() > 8 ? "; ..." : ""));
        }
        return build(config, (name, shape) -> tensors.get(name).castTo(dtype).dup());
    }

    /** The names and shapes the config calls for (zero-filled placeholders, float32). */
    public static Map<String, INDArray> shapesOf(ReformerConfig config) {
        return build(config, (name, shape) -> Nd4j.create(DataType.FLOAT, shape)).named();
    }

    /** Builds every parameter by asking make(name, shape); the single list of what a config needs. */
    private static Params build(ReformerConfig c, BiFunction<String, long[], INDArray> make) {
        long C = c.hiddenSize(), HD = c.allHeadSize(), F = c.feedForwardSize();
        INDArray word = make.apply("embeddings.word_embeddings.weight", new long[]{c.vocabSize(), C});
        List<INDArray> axial = null;
        INDArray positions = null;
        if (c.axialPosEmbds()) {
            axial = new ArrayList<>();
            int axes = c.axialPosShape().size();
            for (int i = 0; i < axes; i++) {
                long[] shape = new long[axes + 1];
                Arrays.fill(shape, 1);
                shape[i] = c.axialPosShape().get(i);
                shape[axes] = c.axialPosEmbdsDim().get(i);
                axial.add(make.apply("embeddings.position_embeddings.weights." + i, shape));
            }
        } else {
            positions = make.apply("embeddings.position_embeddings.embedding.weight",
                    new long[]{c.maxPositionEmbeddings(), C});
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layers." + i + ".";
            boolean lsh = c.attnLayers().get(i).equals("lsh");
            String sa = p + "attention.self_attention.";
            layers.add(new Layer(
                    make.apply(p + "attention.layer_norm.weight", new long[]{C}),
                    make.apply(p + "attention.layer_norm.bias", new long[]{C}),
                    lsh ? make.apply(sa + "query_key.weight", new long[]{HD, C}) : null,
                    lsh ? null : make.apply(sa + "query.weight", new long[]{HD, C}),
                    lsh ? null : make.apply(sa + "key.weight", new long[]{HD, C}),
                    make.apply(sa + "value.weight", new long[]{HD, C}),
                    make.apply(p + "attention.output.dense.weight", new long[]{C, HD}),
                    make.apply(p + "feed_forward.layer_norm.weight", new long[]{C}),
                    make.apply(p + "feed_forward.layer_norm.bias", new long[]{C}),
                    make.apply(p + "feed_forward.dense.dense.weight", new long[]{F, C}),
                    make.apply(p + "feed_forward.dense.dense.bias", new long[]{F}),
                    make.apply(p + "feed_forward.output.dense.weight", new long[]{C, F}),
                    make.apply(p + "feed_forward.output.dense.bias", new long[]{C})));
        }
        return new Params(word, axial, positions, layers,
                make.apply("encoder.layer_norm.weight", new long[]{2 * C}),
                make.apply("encoder.layer_norm.bias", new long[]{2 * C}));
    }
}
