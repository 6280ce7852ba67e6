package dev.reformer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    @Test
    void addsARowToEveryRowInPlaceAsNd4jDoes() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray whole = Nd4j.rand(type, 6, 5), row = Nd4j.rand(type, 5);
            INDArray rows = whole.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());      // dense, offset 10
            double[] expectedWhole = expected(whole.addRowVector(row).get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()));
            double[] expectedRows = expected(rows.addRowVector(row));
            double[] untouched = expected(whole.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()));
            HostValues.addToEveryRow(rows, row);
            assertArrayEquals(expectedRows, expected(rows), 1e-6, type + ": the rows of the view");
            assertArrayEquals(untouched, expected(whole.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all())), 0.0, type + ": rows outside the view");
            HostValues.addToEveryRow(whole.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()), row);
            assertArrayEquals(expectedWhole, expected(whole.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all())), 1e-6, type + ": the first rows");
        }
        INDArray strided = Nd4j.rand(DataType.FLOAT, 4, 4).transpose();
        assertThrows(IllegalArgumentException.class, () -> HostValues.addToEveryRow(strided, Nd4j.rand(DataType.FLOAT, 4)));
    }
}
