package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The spoken-commands set from real recordings ({@code datagen --sets real-commands}): Speech Commands' 12 classes,
 * and AN4's one-word answers (yes, no, stop, go as themselves; repeat, help, start... as {@code unknown}), split by
 * speaker. Test and validation rows point at the recordings where they lie; training also gets {@code copies}
 * perturbed copies of every training clip (speed, gain, a shift in time, and a real background-noise clip of a
 * training "speaker" mixed in at 0-20 dB SNR), written as WAV.
 *
 * Manifests: train.jsonl, val.jsonl, test.jsonl (Speech Commands, the goal's figure), test-an4.jsonl (AN4's words).
 */
public final class RealCommands {
    static final Set<String> COMMANDS = Set.of("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go");
    /** A clip is cut or padded to this, as Speech Commands' are. */
    private static final int CLIP_SAMPLES = Audio.RATE;

    private RealCommands() {}

    public static Map<String, Object> build(RealSpeech speech, Path dir, long seed, int copies) throws IOException {
        List<RealSpeech.Recording> commands = speech.speechCommands();
        List<RealSpeech.Recording> an4Words = speech.an4().stream().filter(r -> !r.text().isBlank() && !r.text().contains(" ")).toList();
        Map<String, String> commandsSplit = RealSpeech.splitBySpeaker(commands, seed, RealSpeech.SPEECH_COMMANDS);
        Map<String, String> an4Split = RealSpeech.splitBySpeaker(speech.an4(), seed, RealSpeech.AN4);
        Files.createDirectories(dir);

        List<ObjectNode> train = new ArrayList<>(), val = new ArrayList<>(), test = new ArrayList<>(), testAn4 = new ArrayList<>();
        for (RealSpeech.Recording r : commands) {
            String split = commandsSplit.get(r.voice());
            (split.equals("train") ? train : split.equals("val") ? val : test).add(RealSpeech.line(r, dir, r.label()));
        }
        for (RealSpeech.Recording r : an4Words) {
            String split = an4Split.get(r.voice());
            (split.equals("train") ? train : split.equals("val") ? val : testAn4).add(RealSpeech.line(r, dir, labelOf(r.text())));
        }
        List<RealSpeech.Recording> trainClips = new ArrayList<>(RealSpeech.of(commands, commandsSplit, "train"));
        trainClips.addAll(RealSpeech.of(an4Words, an4Split, "train"));
        List<float[]> noises = copies == 0 ? List.of() : backgroundNoise(RealSpeech.of(commands, commandsSplit, "train"));
        train.addAll(RealSpeech.perturbedCopies(trainClips, copies, dir, seed, "real-commands",
                r -> r.label() != null ? r.label() : labelOf(r.text()), (r, random) -> perturb(r, noises, random)));

        Manifest.write(dir.resolve("train.jsonl"), train);
        Manifest.write(dir.resolve("val.jsonl"), val);
        Manifest.write(dir.resolve("test.jsonl"), test);
        Manifest.write(dir.resolve("test-an4.jsonl"), testAn4);
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("seed", seed);
        split.put("by", "speaker: no speaker (voice) is in two splits; Speech Commands' background-noise clips count as one speaker each");
        split.put(RealSpeech.SPEECH_COMMANDS, RealSpeech.speakersBySplit(commandsSplit));
        split.put(RealSpeech.AN4, RealSpeech.speakersBySplit(an4Split));
        split.put("rows", Map.of("train", train.size(), "val", val.size(), "test", test.size(), "test-an4", testAn4.size()));
        split.put("perturbed_copies_per_training_clip", copies);
        Files.writeString(dir.resolve("split.json"), Manifest.pretty(split));
        return split;
    }

    /** AN4's one-word answers: a command word is itself, any other word is unknown. */
    static String labelOf(String word) {
        return COMMANDS.contains(word) ? word : "unknown";
    }

    /** The training split's background-noise clips ("silence"), 16 kHz, each scaled to RMS 1. */
    private static List<float[]> backgroundNoise(List<RealSpeech.Recording> trainClips) throws IOException {
        List<float[]> out = new ArrayList<>();
        for (RealSpeech.Recording r : trainClips) {
            if (!"silence".equals(r.label())) continue;
            float[] x = RealSpeech.samples(r, List.of());
            double rms = Audio.rms(x, 0, x.length);
            if (rms < 1e-6) continue;
            for (int i = 0; i < x.length; i++) x[i] /= (float) rms;
            out.add(x);
        }
        return out;
    }

    /** Speed, a second cut around the speech, background noise (not on noise clips) and gain. */
    private static RealSpeech.Perturbed perturb(RealSpeech.Recording r, List<float[]> noises, SplittableRandom random) throws IOException {
        double speed = Math.round((0.88 + 0.24 * random.nextDouble()) * 100) / 100.0;
        float[] x = fit(RealSpeech.samples(r, List.of("speed", String.format(Locale.ROOT, "%.2f", speed))), random);
        double snr = noises.isEmpty() ? 0 : Math.round(20 * random.nextDouble() * 10) / 10.0;
        boolean noisy = !noises.isEmpty() && !"silence".equals(r.label());
        if (noisy) mixNoise(x, noises.get(random.nextInt(noises.size())), snr, random);
        double gain = Math.pow(10, (random.nextDouble() * 24 - 18) / 20);
        for (int k = 0; k < x.length; k++) x[k] = (float) Math.max(-1, Math.min(1, x[k] * gain));
        return new RealSpeech.Perturbed(x, String.format(Locale.ROOT, "speed %.2f, gain %.1f dB%s", speed, 20 * Math.log10(gain),
                noisy ? String.format(Locale.ROOT, ", background noise %.1f dB", snr) : ""));
    }

    /**
     * One second: a longer clip (AN4's answers hold pauses) cut around its loudest second, shifted by up to 150 ms; a
     * shorter one padded at a random offset (a shift in time).
     */
    private static float[] fit(float[] x, SplittableRandom random) {
        float[] out = new float[CLIP_SAMPLES];
        if (x.length < CLIP_SAMPLES) {
            System.arraycopy(x, 0, out, random.nextInt(CLIP_SAMPLES - x.length + 1), x.length);
            return out;
        }
        int step = Audio.RATE / 100, best = 0;
        double bestEnergy = -1;
        for (int from = 0; from + CLIP_SAMPLES <= x.length; from += step) {
            double energy = Audio.rms(x, from, from + CLIP_SAMPLES);
            if (energy > bestEnergy) { bestEnergy = energy; best = from; }
        }
        int shift = random.nextInt(2 * 150 * step / 10 + 1) - 150 * step / 10;
        int from = Math.max(0, Math.min(x.length - CLIP_SAMPLES, best + shift));
        System.arraycopy(x, from, out, 0, CLIP_SAMPLES);
        return out;
    }

    /** A random stretch of a noise clip (RMS 1), looped when shorter, at snrDb below the clip's loudest 100 ms. */
    private static void mixNoise(float[] x, float[] noise, double snrDb, SplittableRandom random) {
        float[] n = new float[x.length];
        int offset = random.nextInt(noise.length);
        for (int i = 0; i < n.length; i++) n[i] = noise[(offset + i) % noise.length];
        int window = Audio.RATE / 10, loudest = 0;
        double best = -1;
        for (int from = 0; from + window <= x.length; from += window / 2) {
            double rms = Audio.rms(x, from, from + window);
            if (rms > best) { best = rms; loudest = from; }
        }
        Audio.mix(x, n, snrDb, loudest, loudest + window);
    }
}
