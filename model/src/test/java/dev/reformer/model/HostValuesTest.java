package dev.reformer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HostValuesTest {

    /** What ND4J itself reads, element by element. */
    private static double[] expected(INDArray a) {
        return a.dup('c').reshape(a.length()).toDoubleVector();
    }

    @Test
    void readsDenseArraysViewsWithOffsetsAndStridedViewsAlike() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray whole = Nd4j.rand(type, 6, 5);
            INDArray rows = whole.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());      // dense, offset 10
            INDArray columns = whole.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3));   // strided
            INDArray transposed = whole.transpose();
            assertTrue(HostValues.isDense(rows) && rows.offset() > 0, "a row range is dense with an offset");
            assertFalse(HostValues.isDense(columns) || HostValues.isDense(transposed), "column ranges and transposes are not");
            for (INDArray a : new INDArray[]{whole, rows, columns, transposed, whole.reshape(30), rows.reshape(15)}) {
                assertArrayEquals(expected(a), HostValues.doubles(a), 0.0, type + " " + a.shapeInfoToString());
            }
            double[] inScratch = Scratch.run("host-values-test", () -> HostValues.doubles(whole.mul(2).get(NDArrayIndex.interval(1, 4), NDArrayIndex.all())));
            double[] twice = expected(whole.get(NDArrayIndex.interval(1, 4), NDArrayIndex.all()).mul(2));
            assertArrayEquals(twice, inScratch, 0.0, type + " in scratch memory");
        }
    }
}
