package dev.reformer.model.layers;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorKernelTest {

    @Test
    void smallMatrixProductHandlesEveryShape() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        java.util.Random random = new java.util.Random(4);
        for (int[] shape : new int[][]{{1, 1, 1}, {3, 5, 7}, {4, 16, 16}, {6, 9, 37}, {64, 64, 128}, {13, 3, 40}}) {
            int rows = shape[0], inner = shape[1], cols = shape[2];
            float[] a = new float[rows * inner], b = new float[inner * cols], c = new float[rows * cols];
            for (int i = 0; i < a.length; i++) a[i] = (float) random.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) random.nextGaussian();
            VectorMath.multiply(a, rows, inner, b, cols, c);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double expected = 0;
                    for (int k = 0; k < inner; k++) expected += (double) a[i * inner + k] * b[k * cols + j];
                    assertEquals(expected, c[i * cols + j], 1e-4, java.util.Arrays.toString(shape) + " at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void stridedProductsReadSubMatricesAndThreadsDoNotChangeBits() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        java.util.Random random = new java.util.Random(5);
        int rows = 203, inner = 70, cols = 150;                     // every tile kind: 4 x 4, 4 x 1, scalar columns, row tails
        float[] a = gaussians(random, rows * inner), b = gaussians(random, inner * cols);
        float[] whole = new float[rows * cols], blocks = new float[rows * cols];
        VectorMath.multiply(a, rows, inner, b, cols, whole);
        for (int from = 0; from < rows; from += 64) {   // as Linear splits rows between threads
            VectorMath.multiply(a, from * inner, inner, Math.min(64, rows - from), inner, b, 0, cols, cols, blocks, from * cols, cols);
        }
        assertArrayEquals(whole, blocks, "split into row blocks, every output is the same chain of multiply-adds");
        // rows 10..49, inner 5..36, columns 20..99 of the same matrices, written into a wider output at an offset
        int r = 40, k = 32, n = 80, ldc = 90;
        float[] c = new float[7 + r * ldc];
        VectorMath.multiply(a, 10 * inner + 5, inner, r, k, b, 5 * cols + 20, cols, n, c, 7, ldc);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < n; j++) {
                double expected = 0;
                for (int m = 0; m < k; m++) expected += (double) a[(10 + i) * inner + 5 + m] * b[(5 + m) * cols + 20 + j];
                assertEquals(expected, c[7 + i * ldc + j], 1e-4, "at " + i + "," + j);
            }
        }
    }

    @Test
    void transposeAndLayerNormMatchTheirDefinitions() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        java.util.Random random = new java.util.Random(6);
        int rows = 37, cols = 45;
        float[] x = gaussians(random, rows * cols), t = new float[rows * cols];
        VectorMath.transpose(x, rows, cols, t);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) assertEquals(x[i * cols + j], t[j * rows + i]);
        float[] w = gaussians(random, cols), b = gaussians(random, cols), y = new float[rows * cols];
        VectorMath.layerNormRows(x, 0, rows, cols, w, b, 1e-12f, y);
        for (int i = 0; i < rows; i++) {
            double mean = 0, variance = 0;
            for (int j = 0; j < cols; j++) mean += x[i * cols + j] / (double) cols;
            for (int j = 0; j < cols; j++) variance += Math.pow(x[i * cols + j] - mean, 2) / cols;
            for (int j = 0; j < cols; j++) {
                double expected = (x[i * cols + j] - mean) / Math.sqrt(variance + 1e-12) * w[j] + b[j];
                assertEquals(expected, y[i * cols + j], 1e-5 * (1 + Math.abs(expected)), "at " + i + "," + j);
            }
        }
    }

    @Test
    void float32LinearAndLayerNormAgreeWithFloat64() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 97, 33);
        org.nd4j.linalg.api.ndarray.INDArray w = org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 71, 33);
        org.nd4j.linalg.api.ndarray.INDArray bias = org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 71);
        var f = org.nd4j.linalg.api.buffer.DataType.FLOAT;
        org.nd4j.linalg.api.ndarray.INDArray y64 = Linear.forward(x, w, bias), y32 = Linear.forward(x.castTo(f), w.castTo(f), bias.castTo(f));
        assertEquals(0, y64.castTo(f).distance1(y32) / y64.length(), 1e-5);
        org.nd4j.linalg.api.ndarray.INDArray g = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 33);
        org.nd4j.linalg.api.ndarray.INDArray n64 = LayerNorm.forward(x, g, g, 1e-12), n32 = LayerNorm.forward(x.castTo(f), g.castTo(f), g.castTo(f), 1e-12);
        assertEquals(0, n64.castTo(f).distance1(n32) / n64.length(), 1e-5);
    }

    @Test
    void rotationsMatchTheFloat64KernelForFewAndManyColumns() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        var f = org.nd4j.linalg.api.buffer.DataType.FLOAT;
        int heads = 2, d = 32, positions = 70;
        org.nd4j.linalg.api.ndarray.INDArray rows = org.nd4j.linalg.factory.Nd4j.randn(f, (long) positions * heads, d);
        for (int[] roundsAndHalf : new int[][]{{2, 2}, {1, 3}, {2, 16}, {4, 9}}) {   // 4, 3, 32 and 36 columns
            int columns = roundsAndHalf[0] * roundsAndHalf[1];
            org.nd4j.linalg.api.ndarray.INDArray rotations = org.nd4j.linalg.factory.Nd4j.randn(f, heads, d, roundsAndHalf[0], roundsAndHalf[1]);
            double[] vector = new double[positions * heads * columns], scalar = new double[positions * heads * columns];
            new VectorKernel().rotator(rows, rotations).rotate(0, positions, vector);
            new ScalarKernel().rotator(rows, rotations).rotate(0, positions, scalar);
            for (int i = 0; i < vector.length; i++) assertEquals(scalar[i], vector[i], 1e-4, columns + " columns, value " + i);
        }
    }

    @Test
    void kernelScratchIsKeptFromPassToPass() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        var f = org.nd4j.linalg.api.buffer.DataType.FLOAT;
        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.randn(f, 1024, 64), w = org.nd4j.linalg.factory.Nd4j.randn(f, 96, 64);
        for (int i = 0; i < 3; i++) Linear.forward(x, w, null);
        long held = HeapScratch.bytesHeld();
        for (int i = 0; i < 20; i++) Linear.forward(x, w, null);
        assertEquals(held, HeapScratch.bytesHeld(), "the threads' buffers are reused, not made again each pass");
    }

    private static float[] gaussians(java.util.Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    @Test
    void expIsAccurateAndItsScalarTwinGivesTheSameBits() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        for (int i = 0; i <= 200_000; i += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = -90f * (i + l) / 200_000f;
            VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int l = 0; l < lanes; l++) {
                assertEquals(Float.floatToIntBits(VectorMath.exp(x[l])), Float.floatToIntBits(y[l]), "exp(" + x[l] + ")");
                double exact = Math.exp(x[l]);
                if (x[l] < -87f) assertEquals(0f, y[l]);
                else worst = Math.max(worst, Math.abs(y[l] - exact) / exact);
            }
        }
        assertTrue(worst < 5e-7, "relative error " + worst);
    }
}
