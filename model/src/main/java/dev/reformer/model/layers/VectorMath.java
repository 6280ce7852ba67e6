package dev.reformer.model.layers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The float32 primitives of {@link VectorKernel}: a small matrix product, a transpose, and e^x. */
final class VectorMath {
    static final VectorSpecies<Float> LANES = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {}

    /**
     * c [rows, cols] = a [rows, inner] . b [inner, cols], all row-major: a small matrix product, four rows of
     * a at a time so that each vector loaded from b serves four fused multiply-adds.
     */
    static void multiply(float[] a, int rows, int inner, float[] b, int cols, float[] c) {
        int bound = LANES.loopBound(cols);
        for (int i = 0; i < rows; i += 4) {
            // rows past the end repeat the last row: computed, never stored
            int a0 = i * inner, a1 = Math.min(i + 1, rows - 1) * inner;
            int a2 = Math.min(i + 2, rows - 1) * inner, a3 = Math.min(i + 3, rows - 1) * inner;
            int stored = Math.min(4, rows - i);
            for (int j = 0; j < bound; j += LANES.length()) {
                FloatVector c0 = FloatVector.zero(LANES), c1 = c0, c2 = c0, c3 = c0;
                for (int k = 0; k < inner; k++) {
                    FloatVector bk = FloatVector.fromArray(LANES, b, k * cols + j);
                    c0 = bk.fma(FloatVector.broadcast(LANES, a[a0 + k]), c0);
                    c1 = bk.fma(FloatVector.broadcast(LANES, a[a1 + k]), c1);
                    c2 = bk.fma(FloatVector.broadcast(LANES, a[a2 + k]), c2);
                    c3 = bk.fma(FloatVector.broadcast(LANES, a[a3 + k]), c3);
                }
                c0.intoArray(c, i * cols + j);
                if (stored > 1) c1.intoArray(c, (i + 1) * cols + j);
                if (stored > 2) c2.intoArray(c, (i + 2) * cols + j);
                if (stored > 3) c3.intoArray(c, (i + 3) * cols + j);
            }
            for (int r = i; r < i + stored; r++) {
                for (int j = bound; j < cols; j++) {
                    float sum = 0;
                    for (int k = 0; k < inner; k++) sum += a[r * inner + k] * b[k * cols + j];
                    c[r * cols + j] = sum;
                }
            }
        }
    }

    /** out [cols, rows] = x [rows, cols]^T */
    static void transpose(float[] x, int rows, int cols, float[] out) {
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, which then sits in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;

    /**
     * e^x for x <= 0 (scores minus their maximum), 0 below -87. Written with exact vector operations only
     * (multiply, add, fused multiply-add, bit reinterpretation), not VectorOperators.EXP, because that gives
     * other last bits before and after the JIT compiles it, and outputs must not depend on JIT state.
     * Cody-Waite range reduction x = n ln2 + r, |r| <= ln2 / 2, then a degree-6 polynomial; error ~2 ulp.
     * n is rounded with the 1.5 * 2^23 trick rather than a float-to-int conversion: Java 17's C2 does not compile
     * that conversion to a vector instruction, and its fallback took 40 % of the serving job's time.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.lt(-87f);
        FloatVector clamped = x.max(-87f);
        FloatVector rounded = clamped.mul(LOG2E).add(ROUNDER);          // n in the low bits, rounded to nearest even
        FloatVector nf = rounded.sub(ROUNDER);
        FloatVector r = nf.fma(FloatVector.broadcast(LANES, -LN2_HIGH), clamped);
        r = nf.fma(FloatVector.broadcast(LANES, -LN2_LOW), r);
        FloatVector p = FloatVector.broadcast(LANES, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(LANES, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(LANES, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(LANES, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(LANES, 0.5f));
        p = p.fma(r, FloatVector.broadcast(LANES, 1f));
        p = p.fma(r, FloatVector.broadcast(LANES, 1f));
        IntVector n = rounded.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, underflow);
    }

    /** The scalar twin of {@link #exp(FloatVector)}, for the tail of a row: the same operations, the same bits. */
    static float exp(float x) {
        if (x < -87f) return 0f;
        float rounded = x * LOG2E + ROUNDER;
        float nf = rounded - ROUNDER;
        int n = Float.floatToRawIntBits(rounded) - ROUNDER_BITS;
        float r = Math.fma(nf, -LN2_HIGH, x);
        r = Math.fma(nf, -LN2_LOW, r);
        float p = 1f / 720;
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((n + 127) << 23);
    }

}
