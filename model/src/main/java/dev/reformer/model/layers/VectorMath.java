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

    /** c [rows, cols] = a [rows, inner] . b [inner, cols], all row-major and gapless. */
    static void multiply(float[] a, int rows, int inner, float[] b, int cols, float[] c) {
        multiply(a, 0, inner, rows, inner, b, 0, cols, cols, c, 0, cols);
    }

    /**
     * c [rows, cols] = a [rows, inner] . b [inner, cols], row-major, each matrix at an offset with its own row
     * stride (lda, ldb, ldc: elements from one row to the next), so that one head's columns of a wider matrix
     * are read in place. Tiles of four rows by four vectors (then two, then one, for the last columns): each step over inner loads four vectors of b and
     * four values of a for sixteen fused multiply-adds into sixteen accumulators, all held in registers (AVX-512
     * has 32). Every output is the same k-ordered chain of fused multiply-adds whatever tile computes it, so
     * results do not depend on shapes or on how rows are split between threads.
     */
    static void multiply(float[] a, int aOff, int lda, int rows, int inner, float[] b, int bOff, int ldb, int cols,
                         float[] c, int cOff, int ldc) {
        int lanes = LANES.length(), wide = cols - cols % (4 * lanes), bound = LANES.loopBound(cols);
        for (int i = 0; i < rows; i += 4) {
            // rows past the end repeat the last row: computed, never stored
            int a0 = aOff + i * lda, a1 = aOff + Math.min(i + 1, rows - 1) * lda;
            int a2 = aOff + Math.min(i + 2, rows - 1) * lda, a3 = aOff + Math.min(i + 3, rows - 1) * lda;
            int stored = Math.min(4, rows - i), c0 = cOff + i * ldc;
            int j = 0;
            for (; j < wide; j += 4 * lanes) {
                tile4x4(a, a0, a1, a2, a3, inner, b, bOff + j, ldb, c, c0 + j, ldc, stored);
            }
            for (; j + 2 * lanes <= bound; j += 2 * lanes) {
                tile4x2(a, a0, a1, a2, a3, inner, b, bOff + j, ldb, c, c0 + j, ldc, stored);
            }
            for (; j < bound; j += lanes) {
                tile4x1(a, a0, a1, a2, a3, inner, b, bOff + j, ldb, c, c0 + j, ldc, stored);
            }
            for (int r = 0; r < stored; r++) {
                for (int col = bound; col < cols; col++) {
                    float sum = 0;
                    for (int k = 0; k < inner; k++) sum = Math.fma(a[aOff + (i + r) * lda + k], b[bOff + k * ldb + col], sum);
                    c[c0 + r * ldc + col] = sum;
                }
            }
        }
    }

    private static void tile4x4(float[] a, int a0, int a1, int a2, int a3, int inner, float[] b, int bAt, int ldb,
                                float[] c, int cAt, int ldc, int stored) {
        int l = LANES.length();
        FloatVector c00 = FloatVector.zero(LANES), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int k = 0, bk = bAt; k < inner; k++, bk += ldb) {
            FloatVector b0 = FloatVector.fromArray(LANES, b, bk), b1 = FloatVector.fromArray(LANES, b, bk + l);
            FloatVector b2 = FloatVector.fromArray(LANES, b, bk + 2 * l), b3 = FloatVector.fromArray(LANES, b, bk + 3 * l);
            FloatVector x = FloatVector.broadcast(LANES, a[a0 + k]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(LANES, a[a1 + k]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(LANES, a[a2 + k]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(LANES, a[a3 + k]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
        }
        c00.intoArray(c, cAt); c01.intoArray(c, cAt + l); c02.intoArray(c, cAt + 2 * l); c03.intoArray(c, cAt + 3 * l);
        if (stored < 2) return;
        cAt += ldc;
        c10.intoArray(c, cAt); c11.intoArray(c, cAt + l); c12.intoArray(c, cAt + 2 * l); c13.intoArray(c, cAt + 3 * l);
        if (stored < 3) return;
        cAt += ldc;
        c20.intoArray(c, cAt); c21.intoArray(c, cAt + l); c22.intoArray(c, cAt + 2 * l); c23.intoArray(c, cAt + 3 * l);
        if (stored < 4) return;
        cAt += ldc;
        c30.intoArray(c, cAt); c31.intoArray(c, cAt + l); c32.intoArray(c, cAt + 2 * l); c33.intoArray(c, cAt + 3 * l);
    }

    private static void tile4x2(float[] a, int a0, int a1, int a2, int a3, int inner, float[] b, int bAt, int ldb,
                                float[] c, int cAt, int ldc, int stored) {
        int l = LANES.length();
        FloatVector c00 = FloatVector.zero(LANES), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0, bk = bAt; k < inner; k++, bk += ldb) {
            FloatVector b0 = FloatVector.fromArray(LANES, b, bk), b1 = FloatVector.fromArray(LANES, b, bk + l);
            FloatVector x = FloatVector.broadcast(LANES, a[a0 + k]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(LANES, a[a1 + k]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(LANES, a[a2 + k]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(LANES, a[a3 + k]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
        }
        c00.intoArray(c, cAt); c01.intoArray(c, cAt + l);
        if (stored < 2) return;
        c10.intoArray(c, cAt + ldc); c11.intoArray(c, cAt + ldc + l);
        if (stored < 3) return;
        c20.intoArray(c, cAt + 2 * ldc); c21.intoArray(c, cAt + 2 * ldc + l);
        if (stored < 4) return;
        c30.intoArray(c, cAt + 3 * ldc); c31.intoArray(c, cAt + 3 * ldc + l);
    }

    private static void tile4x1(float[] a, int a0, int a1, int a2, int a3, int inner, float[] b, int bAt, int ldb,
                                float[] c, int cAt, int ldc, int stored) {
        FloatVector c0 = FloatVector.zero(LANES), c1 = c0, c2 = c0, c3 = c0;
        for (int k = 0, bk = bAt; k < inner; k++, bk += ldb) {
            FloatVector bv = FloatVector.fromArray(LANES, b, bk);
            c0 = bv.fma(FloatVector.broadcast(LANES, a[a0 + k]), c0);
            c1 = bv.fma(FloatVector.broadcast(LANES, a[a1 + k]), c1);
            c2 = bv.fma(FloatVector.broadcast(LANES, a[a2 + k]), c2);
            c3 = bv.fma(FloatVector.broadcast(LANES, a[a3 + k]), c3);
        }
        c0.intoArray(c, cAt);
        if (stored > 1) c1.intoArray(c, cAt + ldc);
        if (stored > 2) c2.intoArray(c, cAt + 2 * ldc);
        if (stored > 3) c3.intoArray(c, cAt + 3 * ldc);
    }

    /**
     * Layer normalisation of rows [from, to) of x [*, c] into y: (x - mean) / sqrt(biased variance + eps) * w + b,
     * the mean and variance summed over vector lanes.
     */
    static void layerNormRows(float[] x, int from, int to, int c, float[] w, float[] b, float eps, float[] y) {
        int bound = LANES.loopBound(c);
        float[] lanes = new float[LANES.length()];
        for (int row = from, at = from * c; row < to; row++, at += c) {
            FloatVector sums = FloatVector.zero(LANES);
            int j = 0;
            for (; j < bound; j += LANES.length()) sums = sums.add(FloatVector.fromArray(LANES, x, at + j));
            float sum = sumLanes(sums, lanes);
            for (; j < c; j++) sum += x[at + j];
            float mean = sum / c;
            FloatVector squares = FloatVector.zero(LANES);
            for (j = 0; j < bound; j += LANES.length()) {
                FloatVector centred = FloatVector.fromArray(LANES, x, at + j).sub(mean);
                squares = centred.fma(centred, squares);
            }
            float squared = sumLanes(squares, lanes);
            for (; j < c; j++) squared += (x[at + j] - mean) * (x[at + j] - mean);
            float rstd = (float) (1 / Math.sqrt(squared / c + eps));
            for (j = 0; j < bound; j += LANES.length()) {
                FloatVector.fromArray(LANES, x, at + j).sub(mean).mul(rstd)
                        .fma(FloatVector.fromArray(LANES, w, j), FloatVector.fromArray(LANES, b, j)).intoArray(y, at + j);
            }
            for (; j < c; j++) y[at + j] = (x[at + j] - mean) * rstd * w[j] + b[j];
        }
    }

    /**
     * The sum of v's lanes, added one after another: a fixed order, where reduceLanes(ADD) may add in another
     * order when compiled than when interpreted, and outputs must not depend on JIT state.
     */
    static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float sum = 0;
        for (int lane = 0; lane < LANES.length(); lane++) sum += lanes[lane];
        return sum;
    }

    /**
     * scores[j] = query[queryAt, +n) . keys[rows[j], +n) for j < count, LANES keys at a time (lane l holds key j + l, read
     * by a gather): each score a c-ordered chain of fused multiply-adds, in the vector lanes and the scalar tail alike.
     */
    static void dotRows(float[] query, int queryAt, float[] keys, int[] rows, int count, int n, float[] scores) {
        int j = 0, bound = LANES.loopBound(count);
        for (; j < bound; j += LANES.length()) {
            FloatVector acc = FloatVector.zero(LANES);
            for (int c = 0; c < n; c++) acc = FloatVector.fromArray(LANES, keys, c, rows, j).fma(FloatVector.broadcast(LANES, query[queryAt + c]), acc);
            acc.intoArray(scores, j);
        }
        for (; j < count; j++) {
            float acc = 0;
            for (int c = 0; c < n; c++) acc = Math.fma(keys[rows[j] + c], query[queryAt + c], acc);
            scores[j] = acc;
        }
    }

    /**
     * out[outAt, +n) = sum over j < count of p[j] * values[rows[j], +n): the weighted rows of a value cache, each output
     * a j-ordered chain of fused multiply-adds.
     */
    static void weightedRows(float[] p, int count, float[] values, int[] rows, int n, float[] out, int outAt) {
        int c = 0, bound = LANES.loopBound(n);
        for (; c < bound; c += LANES.length()) {
            FloatVector acc = FloatVector.zero(LANES);
            for (int j = 0; j < count; j++) acc = FloatVector.fromArray(LANES, values, rows[j] + c).fma(FloatVector.broadcast(LANES, p[j]), acc);
            acc.intoArray(out, outAt + c);
        }
        for (; c < n; c++) {
            float acc = 0;
            for (int j = 0; j < count; j++) acc = Math.fma(values[rows[j] + c], p[j], acc);
            out[outAt + c] = acc;
        }
    }

    /** x[0, n) = e^(x - max) in place, as {@link #exp(FloatVector)}; returns their sum, added lane by lane in a fixed order. */
    static float expShifted(float[] x, int n, float max, float[] lanes) {
        int j = 0, bound = LANES.loopBound(n);
        FloatVector sum = FloatVector.zero(LANES);
        for (; j < bound; j += LANES.length()) {
            FloatVector e = exp(FloatVector.fromArray(LANES, x, j).sub(max));
            e.intoArray(x, j);
            sum = sum.add(e);
        }
        float total = sumLanes(sum, lanes);
        for (; j < n; j++) total += (x[j] = exp(x[j] - max));
        return total;
    }

    /** x[from, from + n) *= factor */
    static void scale(float[] x, int from, int n, float factor) {
        int j = 0, bound = LANES.loopBound(n);
        for (; j < bound; j += LANES.length()) FloatVector.fromArray(LANES, x, from + j).mul(factor).intoArray(x, from + j);
        for (; j < n; j++) x[from + j] *= factor;
    }

    /** out [cols, rows] = x [rows, cols]^T, in 16 x 16 tiles so that both sides stay in cache lines already loaded. */
    static void transpose(float[] x, int rows, int cols, float[] out) {
        for (int i0 = 0; i0 < rows; i0 += 16) {
            int i1 = Math.min(rows, i0 + 16);
            for (int j0 = 0; j0 < cols; j0 += 16) {
                int j1 = Math.min(cols, j0 + 16);
                for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j];
            }
        }
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
