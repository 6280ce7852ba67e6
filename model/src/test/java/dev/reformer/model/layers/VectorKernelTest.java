package dev.reformer.model.layers;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorKernelTest {

    @Test
    void expIsAccurateAndItsScalarTwinGivesTheSameBits() {
        Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        for (int i = 0; i <= 200_000; i += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = -90f * (i + l) / 200_000f;
            VectorKernel.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int l = 0; l < lanes; l++) {
                assertEquals(Float.floatToIntBits(VectorKernel.exp(x[l])), Float.floatToIntBits(y[l]), "exp(" + x[l] + ")");
                double exact = Math.exp(x[l]);
                if (x[l] < -87f) assertEquals(0f, y[l]);
                else worst = Math.max(worst, Math.abs(y[l] - exact) / exact);
            }
        }
        assertTrue(worst < 5e-7, "relative error " + worst);
    }
}
