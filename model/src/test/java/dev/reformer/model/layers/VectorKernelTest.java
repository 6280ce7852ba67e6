package dev.reformer.model.layers;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

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
