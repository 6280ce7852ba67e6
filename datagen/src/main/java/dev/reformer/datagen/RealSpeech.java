package dev.reformer.datagen;

import dev.reformer.task.Manifest;
import dev.reformer.task.Progress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The recordings of real people in {@code ../shared/data/real-speech} (Speech Commands, AN4, FSDD): read from their
 * corpus manifests where they lie (never copied), and split <em>by speaker</em> into train, validation and test.
 * The sets built from them are {@link RealCommands} and {@link RealDigits}.
 */
public final class RealSpeech {
    /** Where the recordings are unless --real-speech says otherwise: beside the project's checkout. */
    public static final Path DEFAULT_FOLDER = Path.of("..", "shared", "data", "real-speech");
    public static final List<String> SPLITS = List.of("train", "val", "test");
    static final String SPEECH_COMMANDS = "speech-commands", AN4 = "an4", FSDD = "fsdd";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One recording: its file, what is said (words), its label if any, its speaker and its corpus. */
    public record Recording(Path audio, String text, String label, String voice, String corpus, boolean digitsOnly) {}

    private final Path folder;

    private RealSpeech(Path folder) {
        this.folder = folder;
    }

    /** The folder, checked: each corpus manifest must be there, else an error saying what to pass. */
    public static RealSpeech at(Path folder) {
        for (String manifest : List.of("speech-commands.jsonl", "an4-train.jsonl", "fsdd.jsonl")) {
            if (!Files.isRegularFile(folder.resolve(manifest))) {
                throw new IllegalArgumentException("no real speech at " + folder.toAbsolutePath().normalize() + " (" + manifest
                        + " is missing): pass --real-speech DIR, the folder that holds speech-commands.jsonl, an4-train.jsonl"
                        + " and fsdd.jsonl with their audio (shared/data/real-speech beside the project's checkout)");
            }
        }
        return new RealSpeech(folder);
    }

    public Path folder() {
        return folder;
    }

    public List<Recording> speechCommands() throws IOException {
        return read("speech-commands.jsonl", SPEECH_COMMANDS);
    }

    public List<Recording> an4() throws IOException {
        return read("an4-train.jsonl", AN4);
    }

    public List<Recording> fsdd() throws IOException {
        return read("fsdd.jsonl", FSDD);
    }

    private List<Recording> read(String manifest, String corpus) throws IOException {
        List<Recording> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(folder.resolve(manifest), StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode n = JSON.readTree(lines.get(i));
            Path audio = folder.resolve(n.path("audio").asText());
            if (!n.path("audio").isTextual() || !n.path("voice").isTextual() || !Files.isRegularFile(audio)) {
                throw new IllegalArgumentException(folder.resolve(manifest) + ":" + (i + 1) + ": needs \"audio\" (an existing file) and \"voice\"");
            }
            out.add(new Recording(audio, n.path("text").asText(""), n.hasNonNull("label") ? n.get("label").asText() : null,
                    n.get("voice").asText(), corpus, n.path("digits_only").asBoolean(false)));
        }
        return out;
    }

    /**
     * Speakers to splits: the corpus's speakers sorted, shuffled by the seed, then 70 % train, 15 % validation, 15 % test
     * (at least one speaker each in validation and test). The same seed and speakers give the same split.
     */
    public static Map<String, String> splitBySpeaker(List<Recording> recordings, long seed, String corpus) {
        List<String> voices = new ArrayList<>(new TreeSet<>(recordings.stream().map(Recording::voice).toList()));
        SplittableRandom random = Seeds.random(seed, "real-speech-split", corpus);
        for (int i = voices.size() - 1; i > 0; i--) java.util.Collections.swap(voices, i, random.nextInt(i + 1));
        int held = Math.max(1, (int) Math.round(voices.size() * 0.15));
        Map<String, String> split = new LinkedHashMap<>();
        for (int i = 0; i < voices.size(); i++) split.put(voices.get(i), i < held ? "test" : i < 2 * held ? "val" : "train");
        return split;
    }

    /** Recordings of one split. */
    static List<Recording> of(List<Recording> recordings, Map<String, String> split, String name) {
        return recordings.stream().filter(r -> name.equals(split.get(r.voice()))).toList();
    }

    /** Speakers per split, sorted: what split.json records. */
    static Map<String, List<String>> speakersBySplit(Map<String, String> split) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String s : SPLITS) out.put(s, split.entrySet().stream().filter(e -> e.getValue().equals(s)).map(Map.Entry::getKey).sorted().toList());
        return out;
    }

    /** 16 kHz mono samples of a recording (FLAC or WAV, any rate), through sox with extra effects (may be empty). */
    static float[] samples(Recording r, List<String> effects) throws IOException {
        try {
            return Audio.toMono16k(AudioFiles.readAsWav(r.audio()), effects);
        } catch (AudioException e) {
            throw new IOException(r.audio() + ": " + e.getMessage(), e);
        }
    }

    /** One perturbed copy of a recording: its 16 kHz samples and how they were made ("speed 1.05, gain -3.0 dB"). */
    record Perturbed(float[] samples, String description) {}

    /** Makes one perturbed copy of a recording from its own random stream. */
    interface Perturbation {
        Perturbed apply(Recording r, SplittableRandom random) throws IOException;
    }

    /**
     * copies perturbed copies of each recording, written as WAV under dir/wav/train with their manifest lines (the
     * recording's text, speaker and corpus, the given label). Each copy draws from its own stream (seed, name, index,
     * copy), so a copy's bytes do not depend on which others are made.
     */
    static List<com.fasterxml.jackson.databind.node.ObjectNode> perturbedCopies(List<Recording> clips, int copies, Path dir, long seed,
            String name, java.util.function.Function<Recording, String> label, Perturbation perturbation) throws IOException {
        List<com.fasterxml.jackson.databind.node.ObjectNode> out = new ArrayList<>();
        if (copies == 0) return out;
        Path wavDir = Files.createDirectories(dir.resolve("wav/train"));
        Progress progress = new Progress(name + ": perturbed training copies", clips.size() * copies);
        for (int i = 0; i < clips.size(); i++) {
            Recording r = clips.get(i);
            for (int c = 0; c < copies; c++) {
                Perturbed p = perturbation.apply(r, Seeds.random(seed, name, i, c));
                String file = String.format(java.util.Locale.ROOT, "train-%05d-%d.wav", i, c);
                Files.write(wavDir.resolve(file), Audio.wav(p.samples()));
                out.add(Manifest.line("wav/train/" + file, r.text(), label.apply(r), "human", r.voice()).put("source", r.corpus())
                        .put("augment", p.description()));
                progress.step();
            }
        }
        return out;
    }

    /** A manifest line for a recording as it lies: its path relative to the manifest's folder. */
    static com.fasterxml.jackson.databind.node.ObjectNode line(Recording r, Path manifestFolder, String label) {
        String relative = manifestFolder.toAbsolutePath().normalize().relativize(r.audio().toAbsolutePath().normalize()).toString();
        return Manifest.line(relative, r.text(), label, "human", r.voice()).put("source", r.corpus());
    }
}
