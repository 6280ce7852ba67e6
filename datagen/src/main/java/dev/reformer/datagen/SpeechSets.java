package dev.reformer.datagen;

import dev.reformer.task.Manifest;
import dev.reformer.task.Progress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.datagen.VoiceSplit.Split;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The speech sets: spoken commands (classification) and digit strings (transcription), and through {@link Streams}
 * continuous streams. Each set is a folder with train.jsonl, val.jsonl, test.jsonl, split.json and wav/SPLIT/*.wav.
 * Every clip is made from its own random stream ({@link Seeds}), so the files are the same for a seed whatever the
 * number of threads.
 */
public final class SpeechSets {
    public static final List<String> COMMANDS = List.of("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go");
    public static final String UNKNOWN = "unknown", SILENCE = "silence";
    /** Words that are none of the commands nor digits, nor sound like one (no "know", "top", "write", "for"). */
    public static final List<String> UNKNOWN_WORDS = List.of("bed", "bird", "cat", "dog", "happy", "house", "tree", "wow", "marvin",
            "sheila", "learn", "follow", "forward", "backward", "visual", "apple", "river", "window", "yellow", "music",
            "table", "paper", "garden", "orange", "water", "morning", "doctor", "pencil");
    public static final List<String> DIGIT_WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
    /** The engine name of silence and noise clips, whose "voices" are the noise kinds. */
    public static final String NOISE_ENGINE = "noise";

    private final Map<String, SpeechSynth> engines = new TreeMap<>();
    private final VoiceSplit split;
    private final long seed;
    private final int threads;

    /** engines: the available ones; voices: theirs plus {@link #noiseVoices()}, split by speaker. */
    public SpeechSets(List<SpeechSynth> engines, VoiceSplit split, long seed, int threads) {
        for (SpeechSynth e : engines) this.engines.put(e.engine(), e);
        this.split = split;
        this.seed = seed;
        this.threads = threads;
    }

    /** The noise kinds as voices: silence clips of a test noise kind are not heard in training either. */
    public static List<Voice> noiseVoices() {
        List<Voice> voices = new ArrayList<>();
        for (Noise n : Noise.values()) voices.add(new Voice(NOISE_ENGINE, n.id(), NOISE_ENGINE + ":" + n.id()));
        return voices;
    }

    // ---- the sets ----

    /** Commands, "unknown" words and "silence" (noise only), the 12 labels taking turns. */
    public void commands(Path dir, int count) throws IOException {
        List<String> labels = new ArrayList<>(COMMANDS);
        labels.add(UNKNOWN);
        labels.add(SILENCE);
        write(dir, "commands", count, (s, i, random) -> {
            String label = labels.get((i + Seeds.random(seed, "commands", s.id).nextInt(labels.size())) % labels.size());
            if (label.equals(SILENCE)) return silence(s, random);
            String word = label.equals(UNKNOWN) ? UNKNOWN_WORDS.get(random.nextInt(UNKNOWN_WORDS.size())) : label;
            return utterance(word, label, speechVoice(s, random), random);
        });
    }

    /** Digit strings of 3 to 12 digits, the text in words ("four oh seven"; zero is "oh" about a third of the time). */
    public void digits(Path dir, int count) throws IOException {
        write(dir, "digits", count, (s, i, random) -> {
            String digits = digitString(3 + random.nextInt(10), random);
            Clip clip = utterance(digitWords(digits, random), null, speechVoice(s, random), random);
            clip.extra().put("digits", digits);
            return clip;
        });
    }

    public static String digitString(int n, SplittableRandom random) {
        StringBuilder digits = new StringBuilder();
        for (int k = 0; k < n; k++) digits.append((char) ('0' + random.nextInt(10)));
        return digits.toString();
    }

    /** Continuous streams, see {@link Streams}. */
    public void streams(Path dir, int count) throws IOException {
        new Streams(this).write(dir, count);
    }

    /** "407" as "four oh seven" or "four zero seven", drawn per zero. */
    public static String digitWords(String digits, SplittableRandom random) {
        List<String> words = new ArrayList<>();
        for (char c : digits.toCharArray()) words.add(c == '0' && random.nextDouble() < 0.3 ? "oh" : DIGIT_WORDS.get(c - '0'));
        return String.join(" ", words);
    }

    // ---- one clip ----

    /** What a set's maker returns: the samples and the manifest fields; the writer adds "audio". */
    public record Clip(float[] samples, String text, String label, Voice voice, Map<String, Object> extra) {}

    public interface ClipMaker {
        Clip make(Split split, int index, SplittableRandom random) throws IOException;
    }

    /** A spoken clip: the engine at a random speed and pitch, augmented, 100-300 ms of quiet on each side, a random level. */
    private Clip utterance(String text, String label, Voice voice, SplittableRandom random) throws IOException {
        Augment augment = Augment.draw(random);
        float[] speech = speak(text, voice, augment, random);
        int before = Audio.samples(0.1 + 0.2 * random.nextDouble()), after = Audio.samples(0.1 + 0.2 * random.nextDouble());
        float[] clip = new float[before + speech.length + after];
        System.arraycopy(speech, 0, clip, before, speech.length);
        augment.addNoise(clip, before, before + speech.length, random);
        addFloor(clip, random);
        Audio.normalize(clip, 0.3 + 0.6 * random.nextDouble());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("augment", augment.describe());
        return new Clip(clip, text, label, voice, extra);
    }

    /** One second of a noise kind of this split at -65 to -30 dBFS: what "silence" sounds like on a real line. */
    private Clip silence(Split s, SplittableRandom random) {
        List<Voice> noises = split.voices(s).stream().filter(v -> v.engine().equals(NOISE_ENGINE)).toList();
        Voice voice = noises.get(random.nextInt(noises.size()));
        double dbfs = -65 + 35 * random.nextDouble();
        float[] clip = Noise.valueOf(voice.name().toUpperCase(Locale.ROOT)).generate(Audio.RATE, random);
        float gain = (float) Math.pow(10, dbfs / 20);
        for (int k = 0; k < clip.length; k++) clip[k] *= gain;
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("augment", String.format(Locale.ROOT, "%s noise %.1f dBFS", voice.name(), dbfs));
        return new Clip(clip, "", SILENCE, voice, extra);
    }

    /** The text spoken by the voice at a random speed (0.85-1.15) and pitch, through sox with the augmentation's effects, trimmed. */
    float[] speak(String text, Voice voice, Augment augment, SplittableRandom random) throws IOException {
        double speed = 0.85 + 0.3 * random.nextDouble(), pitch = 2 * random.nextDouble() - 1;
        byte[] wav = engines.get(voice.engine()).speak(text, voice, speed, pitch);
        float[] speech = Audio.trim(Audio.toMono16k(wav, augment.soxEffects()));
        if (speech.length == 0) throw new IOException(voice + " produced silence for \"" + text + "\"");
        return speech;
    }

    /** A speaker of the split drawn uniformly, then one of that speaker's voices (engines and accents). */
    public Voice speechVoice(Split s, SplittableRandom random) {
        Map<String, List<Voice>> bySpeaker = new TreeMap<>();
        for (Voice v : split.voices(s)) {
            if (!v.engine().equals(NOISE_ENGINE)) bySpeaker.computeIfAbsent(v.speaker(), k -> new ArrayList<>()).add(v);
        }
        List<List<Voice>> speakers = new ArrayList<>(bySpeaker.values());
        List<Voice> voices = speakers.get(random.nextInt(speakers.size()));
        return voices.get(random.nextInt(voices.size()));
    }

    /** Faint white noise (-70 dBFS), so no clip holds the digital silence that no microphone gives. */
    public static void addFloor(float[] clip, SplittableRandom random) {
        for (int k = 0; k < clip.length; k++) clip[k] += (float) (0.0003 * Noise.gaussian(random));
    }

    // ---- writing a set ----

    /** How many of a set's clips each split gets: about 10% each to validation and test, the rest to training. */
    public Map<Split, Integer> shares(int count) {
        Map<Split, Integer> shares = new LinkedHashMap<>();
        int held = Math.max(1, (int) Math.round(0.1 * count));
        for (Split s : new Split[] {Split.VALIDATION, Split.TEST}) shares.put(s, hasSpeech(s) ? held : 0);
        shares.put(Split.TRAIN, Math.max(0, count - shares.get(Split.VALIDATION) - shares.get(Split.TEST)));
        return shares;
    }

    private boolean hasSpeech(Split s) {
        return split.voices(s).stream().anyMatch(v -> !v.engine().equals(NOISE_ENGINE));
    }

    /** Makes every clip of a set (on the given threads), writes the WAVs, the three manifests and split.json. */
    void write(Path dir, String set, int count, ClipMaker maker) throws IOException {
        Map<Split, Integer> shares = shares(count);
        Progress progress = new Progress(set, shares.values().stream().mapToInt(Integer::intValue).sum());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Split s : Split.values()) {
                Path wavDir = dir.resolve("wav").resolve(s.id);
                Files.createDirectories(wavDir);
                List<Future<ObjectNode>> lines = new ArrayList<>();
                for (int i = 0; i < shares.get(s); i++) {
                    int index = i;
                    lines.add(pool.submit(() -> {
                        Clip clip = maker.make(s, index, Seeds.random(seed, set, s.id, index));
                        String name = String.format(Locale.ROOT, "%s-%05d.wav", s.id, index);
                        Files.write(wavDir.resolve(name), Audio.wav(clip.samples()));
                        ObjectNode line = Manifest.line("wav/" + s.id + "/" + name, clip.text(), clip.label(),
                                clip.voice().engine(), clip.voice().name());
                        clip.extra().forEach((k, v) -> line.putPOJO(k, v));
                        progress.step();
                        return line;
                    }));
                }
                Manifest.write(dir.resolve(s.id + ".jsonl"), collect(lines, set));
            }
        } finally {
            pool.shutdownNow();
        }
        writeSplit(dir);
    }

    private static List<ObjectNode> collect(List<Future<ObjectNode>> futures, String set) throws IOException {
        List<ObjectNode> lines = new ArrayList<>();
        for (Future<ObjectNode> f : futures) {
            try {
                lines.add(f.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) throw new IOException(set + ": " + io.getMessage(), io);
                throw new IllegalStateException(set + ": " + cause, cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(set + ": interrupted");
            }
        }
        return lines;
    }

    /** split.json: the speakers and voices of each split, so what the test set holds out can be read next to it. */
    private void writeSplit(Path dir) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Split s : Split.values()) {
            Map<String, Object> part = new LinkedHashMap<>();
            part.put("speakers", split.speakers(s));
            part.put("voices", split.voices(s).stream().map(Voice::toString).toList());
            out.put(s.id, part);
        }
        Files.writeString(dir.resolve("split.json"), Manifest.pretty(out));
    }
}
