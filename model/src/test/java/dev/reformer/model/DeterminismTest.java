package dev.reformer.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same model on the same input gives bit-identical outputs, in both precisions, before and after the
 * JIT has compiled the kernels (a recomputation after a failure must reproduce what was emitted).
 */
class DeterminismTest {
    @Test
    void sameInputSameOutput() {
        for (DataType dtype : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            ReformerConfig config = TestData.small().build();
            ReformerModel model = new ReformerModel(config, Params.init(config, 9, dtype));
            int[][] ids = TestData.tokens(10, 2, 64, 40);
            INDArray first = model.forward(ids, null).lastHiddenState();
            for (int run = 1; run <= 40; run++) {
                INDArray again = model.forward(ids, null).lastHiddenState();
                assertEquals(0.0, first.sub(again).amaxNumber().doubleValue(), dtype + " run " + run + " differs from the first");
            }
        }
    }
}
