package dev.reformer.datagen;

import java.util.SplittableRandom;

/**
 * Noise made in Java from a seeded random stream, so clips with noise are byte-identical for a seed (sox's own noise
 * would depend on its version and options). Each kind is scaled to an RMS of 1; the caller sets the level.
 */
public enum Noise {
    WHITE, PINK, BROWN, HUM50, HUM60, CRACKLE;

    /** The name used in manifests ("pink", "hum50"). */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** n samples at 16 kHz, RMS 1. */
    public float[] generate(int n, SplittableRandom random) {
        float[] x = new float[n];
        switch (this) {
            case WHITE -> { for (int i = 0; i < n; i++) x[i] = (float) gaussian(random); }
            case PINK -> {
                // Paul Kellet's economy filter: -3 dB per octave within 0.5 dB over the audio band
                double b0 = 0, b1 = 0, b2 = 0;
                for (int i = 0; i < n; i++) {
                    double w = gaussian(random);
                    b0 = 0.99765 * b0 + w * 0.0990460;
                    b1 = 0.96300 * b1 + w * 0.2965164;
                    b2 = 0.57000 * b2 + w * 1.0526913;
                    x[i] = (float) (b0 + b1 + b2 + w * 0.1848);
                }
            }
            case BROWN -> {
                // leaky integration of white noise: -6 dB per octave, without drifting away
                double y = 0;
                for (int i = 0; i < n; i++) x[i] = (float) (y = 0.995 * y + 0.1 * gaussian(random));
            }
            case HUM50, HUM60 -> {
                double f = this == HUM50 ? 50 : 60, phase = random.nextDouble() * 2 * Math.PI;
                for (int i = 0; i < n; i++) {
                    double t = 2 * Math.PI * f * i / 16000.0 + phase, v = 0;
                    for (int h = 1; h <= 5; h++) v += Math.sin(h * t) / h;
                    x[i] = (float) (v + 0.05 * gaussian(random));
                }
            }
            case CRACKLE -> {
                // sparse clicks of random height over faint hiss, like a bad connection or vinyl
                for (int i = 0; i < n; i++) {
                    x[i] = (float) (0.05 * gaussian(random) + (random.nextDouble() < 0.002 ? 8 * (random.nextDouble() - 0.5) : 0));
                }
            }
        }
        double rms = Audio.rms(x, 0, n);
        if (rms > 0) for (int i = 0; i < n; i++) x[i] /= (float) rms;
        return x;
    }

    /** A standard normal value from two uniforms (Box-Muller): SplittableRandom has no nextGaussian in Java 17. */
    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
