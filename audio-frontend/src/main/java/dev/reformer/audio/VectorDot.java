package dev.reformer.audio;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Resampler}'s dot product on the JDK Vector API. Its eight lanes are exactly the scalar version's eight
 * partial sums: lane {@code l} accumulates the terms {@code j ≡ l (mod 8)} in the same order with separate
 * multiply and add (no fused multiply-add), and the lanes are combined in the same pairwise order, so both
 * versions return the same bits. Only loaded when the {@code jdk.incubator.vector} module is present.
 */
final class VectorDot {

    /** Always 8 lanes, whatever the machine prefers, so that the summation order never changes. */
    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;

    /** Worth using only where 256-bit vectors are native; elsewhere the API's fallback is slower than scalar. */
    static final boolean FAST = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

    private VectorDot() {}

    /** Same contract as the scalar dot product: {@code n} is a multiple of 8. */
    static float dot(float[] c, int ci, float[] x, int xi, int n) {
        FloatVector sums = FloatVector.zero(EIGHT);
        for (int j = 0; j < n; j += 8) {
            sums = sums.add(FloatVector.fromArray(EIGHT, c, ci + j).mul(FloatVector.fromArray(EIGHT, x, xi + j)));
        }
        return ((sums.lane(0) + sums.lane(1)) + (sums.lane(2) + sums.lane(3)))
                + ((sums.lane(4) + sums.lane(5)) + (sums.lane(6) + sums.lane(7)));
    }
}
