package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout whose mask is a pure function of (seed, site, element index): recomputing a layer
 * during the reversible backward pass reproduces the forward pass's masks exactly, from the seed alone,
 * and its gradient is the same mask applied to the upstream gradient.
 *
 * @param p probability of dropping an element
 * @param seed one forward pass's seed
 */
public record Dropout(double p, long seed) {
    public static final Dropout NONE = new Dropout(0, 0);

    public boolean active() { return p > 0; }

    /**
     * The dropout of one part of a training pass (attention probabilities, say) with its own probability and
     * masks; none for an inference pass.
     */
    public Dropout derive(double probability, long site) {
        if (seed == 0 && p == 0) return NONE;
        return new Dropout(probability, seed ^ (site * 0xC2B2AE3D27D4EB4FL));
    }

    /** The factor of one element: 0 when dropped, else 1 / (1 - p). */
    public double multiplier(long site, long element) {
        if (!active()) return 1;
        return uniform((site * 0x9E3779B97F4A7C15L ^ seed) + element * 0xBF58476D1CE4E5B9L) < p ? 0 : 1 / (1 - p);
    }

    /**
     * x * mask / (1 - p), where x [N, C] holds rows firstRow.. of the site's tensor; also the backward
     * (the gradient passes through the same mask).
     */
    public INDArray apply(INDArray x, long site, long firstRow) {
        if (!active()) return x;
        long columns = x.size(1), rows = x.size(0);
        double[] mask = new double[(int) (rows * columns)];
        for (int i = 0; i < mask.length; i++) mask[i] = multiplier(site, firstRow * columns + i);
        return x.mul(Nd4j.create(mask, x.shape(), DataType.DOUBLE).castTo(x.dataType()));
    }

    /** SplitMix64's finaliser: a well-mixed 64-bit hash, as a double in [0, 1). */
    static double uniform(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
