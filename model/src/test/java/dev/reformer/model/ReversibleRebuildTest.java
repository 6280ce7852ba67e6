package dev.reformer.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reversible backward keeps no activations: it must rebuild each layer's inputs from its outputs. */
class ReversibleRebuildTest {

    @org.junit.jupiter.params.ParameterizedTest(name = "dropout {0}")
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0, 0.1})
    void twelveLayersRebuildTheirInputsInFloat32(double dropoutProbability) {
        dev.reformer.model.layers.Dropout dropout = new dev.reformer.model.layers.Dropout(dropoutProbability, 77);
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < 6; i++) kinds.addAll(List.of("local", "lsh"));
        ReformerConfig config = TestData.small().attnLayers(kinds).initializerRange(0.05).hashSeed(null).build();
        Params params = Params.init(config, 5, DataType.FLOAT);
        int batch = 2, length = 64, c = config.hiddenSize();
        boolean[][] valid = new boolean[batch][length];
        for (int t = 0; t < length; t++) { valid[0][t] = true; valid[1][t] = t < 40; }
        INDArray x1 = TestData.randn(1, DataType.FLOAT, (long) batch * length, c);
        INDArray x2 = TestData.randn(2, DataType.FLOAT, (long) batch * length, c);

        List<ReversibleLayer> layers = new ArrayList<>();
        List<int[][][][]> buckets = new ArrayList<>();
        INDArray y1 = x1, y2 = x2;
        for (int i = 0; i < kinds.size(); i++) { // fresh random rotations: only the stored buckets can make rebuilding work
            ReversibleLayer layer = new ReversibleLayer(config, params.layers.get(i), kinds.get(i).equals("lsh"),
                    dev.reformer.model.layers.Rotations.seeded(null), i);
            ReversibleLayer.Output out = layer.forward(y1, y2, batch, length, valid, dropout);
            layers.add(layer);
            buckets.add(out.buckets());
            y1 = out.y1();
            y2 = out.y2();
        }
        double moved = y1.sub(x1).amaxNumber().doubleValue();
        assertTrue(moved > 0.1, "the layers changed their inputs by " + moved);

        Params grads = Params.zeros(config, DataType.FLOAT);
        INDArray zero = Nd4j.zeros(DataType.FLOAT, (long) batch * length, c);
        Collections.reverse(layers);
        Collections.reverse(buckets);
        for (int i = 0; i < layers.size(); i++) {
            ReversibleLayer.Backward b = layers.get(i).backward(y1, y2, zero, zero, buckets.get(i), batch, length, valid,
                    grads.layers.get(layers.size() - 1 - i), null, dropout);
            y1 = b.x1();
            y2 = b.x2();
        }
        double error = Math.max(y1.sub(x1).amaxNumber().doubleValue(), y2.sub(x2).amaxNumber().doubleValue());
        assertTrue(error <= 1e-5, "rebuilt inputs differ from the forward inputs by " + error);
    }
}
