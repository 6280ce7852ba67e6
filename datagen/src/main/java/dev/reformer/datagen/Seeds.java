package dev.reformer.datagen;

import java.util.SplittableRandom;

/**
 * Random streams derived from the run's seed and a name ("commands", "train", 17): every clip has its own stream, so a
 * clip's bytes depend on the seed and on what it is, not on how many clips came before it or on which thread made it.
 */
final class Seeds {
    private Seeds() {}

    static SplittableRandom random(long seed, Object... parts) {
        long h = mix(seed);
        for (Object part : parts) {
            // String.hashCode and Integer.hashCode are fixed by the Java specification, so streams are the same on every JVM
            h = mix(h ^ part.hashCode() * 0x9E3779B97F4A7C15L);
        }
        return new SplittableRandom(h);
    }

    /** SplitMix64's finaliser: spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
