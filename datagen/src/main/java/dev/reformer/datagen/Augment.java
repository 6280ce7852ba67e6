package dev.reformer.datagen;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One clip's augmentation, drawn from the clip's random stream: sox's speed (0.9-1.1), reverb and telephone band
 * (300-3400 Hz through 8 kHz), then noise mixed in Java at 5-20 dB SNR. A quarter of the clips stay clean.
 *
 * @param speed     sox speed factor (pitch and tempo together), 1 for none
 * @param reverb    sox reverberance 0-100, 0 for none
 * @param telephone whether the clip goes through the telephone band
 * @param noise     the kind of noise mixed in, or null
 * @param snrDb     signal-to-noise ratio of that noise in dB
 */
public record Augment(double speed, int reverb, boolean telephone, Noise noise, double snrDb) {
    public static final Augment NONE = new Augment(1, 0, false, null, 0);

    /** A random augmentation; the draws are made in a fixed order so a stream always gives the same one. */
    public static Augment draw(SplittableRandom random) {
        boolean clean = random.nextDouble() < 0.25;
        double speed = random.nextDouble() < 0.5 ? round(0.9 + 0.2 * random.nextDouble(), 100) : 1;
        int reverb = random.nextDouble() < 0.3 ? 20 + random.nextInt(61) : 0;
        boolean telephone = random.nextDouble() < 0.2;
        Noise noise = random.nextDouble() < 0.6 ? Noise.values()[random.nextInt(Noise.values().length)] : null;
        double snr = round(5 + 15 * random.nextDouble(), 10);
        return clean ? NONE : new Augment(speed, reverb, telephone, noise, snr);
    }

    /** The sox effects, in the order a signal would meet them: the speaker's speed, the room, then the line. */
    public List<String> soxEffects() {
        List<String> effects = new ArrayList<>();
        if (speed != 1) effects.addAll(List.of("speed", String.format(Locale.ROOT, "%.2f", speed)));
        if (reverb > 0) effects.addAll(List.of("reverb", Integer.toString(reverb)));
        if (telephone) effects.addAll(List.of("rate", "8000", "sinc", "300-3400"));
        return effects;
    }

    /** Mixes this augmentation's noise into the clip (no-op without noise), against the RMS of [from, to). */
    public void addNoise(float[] clip, int from, int to, SplittableRandom random) {
        if (noise != null) Audio.mix(clip, noise.generate(clip.length, random), snrDb, from, to);
    }

    /** How manifests describe it: "speed 1.05, reverb 40, telephone, pink noise 12.5 dB", or "none". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (speed != 1) parts.add(String.format(Locale.ROOT, "speed %.2f", speed));
        if (reverb > 0) parts.add("reverb " + reverb);
        if (telephone) parts.add("telephone");
        if (noise != null) parts.add(String.format(Locale.ROOT, "%s noise %.1f dB", noise.id(), snrDb));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private static double round(double x, int steps) {
        return Math.round(x * steps) / (double) steps;
    }
}
