package dev.reformer.datagen;

import dev.reformer.task.Manifest;
import dev.reformer.task.Progress;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The digits sets from real recordings ({@code datagen --sets real-digits}), for the digit transcriber: FSDD's isolated
 * digits (text "seven", label "7"), strings of 3 to 7 of one speaker's FSDD digits joined with natural pauses, and
 * AN4's digit strings, and the digit words of Speech Commands' {@code unknown} class (165 clips of 83 speakers, where
 * FSDD has four), every source split by speaker (Speech Commands as in
 * {@link RealCommands}). Joined strings are made within a split only, so a test string is made of test-speaker clips.
 * Training also gets {@code copies} perturbed copies (speed, gain, a background of low noise) of each AN4 training
 * string and each Speech Commands training digit, the rarest kinds.
 *
 * Manifests: train.jsonl, val.jsonl (every kind), and one test manifest per kind: test-isolated.jsonl (FSDD),
 * test-strings.jsonl, test-an4.jsonl, test-isolated-sc.jsonl (Speech Commands' digits).
 */
public final class RealDigits {
    private static final List<String> DIGIT_WORDS = SpeechSets.DIGIT_WORDS;
    /** Joined strings per split. */
    static final Map<String, Integer> STRINGS = Map.of("train", 3000, "val", 200, "test", 300);

    private RealDigits() {}

    public static Map<String, Object> build(RealSpeech speech, Path dir, long seed, int copies, Map<String, Integer> strings) throws IOException {
        List<RealSpeech.Recording> fsdd = speech.fsdd();
        List<RealSpeech.Recording> an4 = speech.an4().stream().filter(RealSpeech.Recording::digitsOnly).toList();
        List<RealSpeech.Recording> commands = speech.speechCommands();
        List<RealSpeech.Recording> spokenDigits = commands.stream().filter(r -> DIGIT_WORDS.contains(r.text())).toList();
        Map<String, String> commandsSplit = RealSpeech.splitBySpeaker(commands, seed, RealSpeech.SPEECH_COMMANDS);
        Map<String, String> fsddSplit = RealSpeech.splitBySpeaker(fsdd, seed, RealSpeech.FSDD);
        Map<String, String> an4Split = RealSpeech.splitBySpeaker(speech.an4(), seed, RealSpeech.AN4);
        Files.createDirectories(dir);
        Map<String, List<ObjectNode>> manifests = new LinkedHashMap<>();
        for (String name : List.of("train", "val", "test-isolated", "test-strings", "test-an4", "test-isolated-sc")) manifests.put(name, new ArrayList<>());

        for (RealSpeech.Recording r : fsdd) {
            String split = fsddSplit.get(r.voice());
            manifests.get(split.equals("test") ? "test-isolated" : split).add(RealSpeech.line(r, dir, r.label()));
        }
        for (RealSpeech.Recording r : an4) {
            String split = an4Split.get(r.voice());
            manifests.get(split.equals("test") ? "test-an4" : split).add(RealSpeech.line(r, dir, null));
        }
        for (RealSpeech.Recording r : spokenDigits) {
            String split = commandsSplit.get(r.voice());
            manifests.get(split.equals("test") ? "test-isolated-sc" : split).add(RealSpeech.line(r, dir, labelOf(r.text())));
        }
        for (String split : RealSpeech.SPLITS) {
            List<ObjectNode> joined = joinedStrings(RealSpeech.of(fsdd, fsddSplit, split), dir, split, seed, strings.getOrDefault(split, 0));
            manifests.get(split.equals("test") ? "test-strings" : split).addAll(joined);
        }
        manifests.get("train").addAll(RealSpeech.perturbedCopies(RealSpeech.of(an4, an4Split, "train"), copies, dir, seed, "real-digits-an4",
                r -> null, RealDigits::perturb));
        manifests.get("train").addAll(RealSpeech.perturbedCopies(RealSpeech.of(spokenDigits, commandsSplit, "train"), copies, dir, seed,
                "real-digits-sc", r -> labelOf(r.text()), RealDigits::perturb));

        Map<String, Integer> rows = new LinkedHashMap<>();
        for (var m : manifests.entrySet()) {
            Manifest.write(dir.resolve(m.getKey() + ".jsonl"), m.getValue());
            rows.put(m.getKey(), m.getValue().size());
        }
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("seed", seed);
        split.put("by", "speaker: no speaker (voice) is in two splits; joined strings use one speaker's clips of their own split");
        split.put(RealSpeech.FSDD, RealSpeech.speakersBySplit(fsddSplit));
        split.put(RealSpeech.AN4, RealSpeech.speakersBySplit(an4Split));
        split.put(RealSpeech.SPEECH_COMMANDS, RealSpeech.speakersBySplit(commandsSplit));
        split.put("rows", rows);
        split.put("perturbed_copies_per_an4_training_string_and_speech_commands_training_digit", copies);
        Files.writeString(dir.resolve("split.json"), Manifest.pretty(split));
        return split;
    }

    /** "seven" to "7": the label an isolated digit carries, as FSDD's do. */
    static String labelOf(String word) {
        return String.valueOf(DIGIT_WORDS.indexOf(word));
    }

    /** Strings of 3-7 digits, each of one speaker's clips, joined with 80-450 ms pauses over a low noise floor. */
    private static List<ObjectNode> joinedStrings(List<RealSpeech.Recording> clips, Path dir, String split, long seed, int count) throws IOException {
        List<ObjectNode> out = new ArrayList<>();
        if (count == 0 || clips.isEmpty()) return out;
        Map<String, List<RealSpeech.Recording>> bySpeaker = new java.util.TreeMap<>();
        for (RealSpeech.Recording r : clips) bySpeaker.computeIfAbsent(r.voice(), v -> new ArrayList<>()).add(r);
        List<String> speakers = new ArrayList<>(bySpeaker.keySet());
        Path wavDir = Files.createDirectories(dir.resolve("wav/" + split));
        Progress progress = new Progress("real-digits: joined strings (" + split + ")", count);
        for (int i = 0; i < count; i++) {
            SplittableRandom random = Seeds.random(seed, "real-digits-strings", split, i);
            String speaker = speakers.get(random.nextInt(speakers.size()));
            List<RealSpeech.Recording> own = bySpeaker.get(speaker);
            int n = 3 + random.nextInt(5);
            List<float[]> parts = new ArrayList<>();
            List<String> words = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                RealSpeech.Recording r = own.get(random.nextInt(own.size()));
                parts.add(RealSpeech.samples(r, List.of()));
                words.add(r.text());
            }
            float[] joined = join(parts, random);
            String name = String.format(Locale.ROOT, "%s-string-%05d.wav", split, i);
            Files.write(wavDir.resolve(name), Audio.wav(joined));
            out.add(Manifest.line("wav/" + split + "/" + name, String.join(" ", words), null, "human", speaker)
                    .put("source", "fsdd-joined"));
            progress.step();
        }
        return out;
    }

    /** Clips with a pause before, between and after them (80-450 ms), over noise 50-60 dB below full scale. */
    static float[] join(List<float[]> parts, SplittableRandom random) {
        int[] pauses = new int[parts.size() + 1];
        int total = 0;
        for (int i = 0; i < pauses.length; i++) {
            pauses[i] = Audio.RATE * (80 + random.nextInt(371)) / 1000;
            total += pauses[i] + (i < parts.size() ? parts.get(i).length : 0);
        }
        float[] out = new float[total];
        double floor = Math.pow(10, -(50 + 10 * random.nextDouble()) / 20);
        for (int i = 0; i < total; i++) out[i] = (float) (floor * Noise.gaussian(random));
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            at += pauses[i];
            float[] p = parts.get(i);
            for (int k = 0; k < p.length; k++) out[at + k] += p[k];
            at += p.length;
        }
        return out;
    }

    /** Speed, a noise of the Java kinds at 10-30 dB SNR, and a level. */
    private static RealSpeech.Perturbed perturb(RealSpeech.Recording r, SplittableRandom random) throws IOException {
        double speed = Math.round((0.9 + 0.2 * random.nextDouble()) * 100) / 100.0;
        float[] x = RealSpeech.samples(r, List.of("speed", String.format(Locale.ROOT, "%.2f", speed)));
        Noise noise = Noise.values()[random.nextInt(Noise.values().length)];
        double snr = Math.round((10 + 20 * random.nextDouble()) * 10) / 10.0;
        Audio.mix(x, noise.generate(x.length, random), snr, 0, x.length);
        Audio.normalize(x, 0.1 + 0.8 * random.nextDouble());
        return new RealSpeech.Perturbed(x, String.format(Locale.ROOT, "speed %.2f, %s noise %.1f dB", speed, noise.id(), snr));
    }
}
