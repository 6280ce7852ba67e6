package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import dev.reformer.audio.AudioFiles;
import dev.reformer.audio.PcmDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The real-speech sets, built from the recordings in ../shared/data/real-speech: split by speaker, never copied. */
public class RealSpeechTest {

    /** The recordings: -Dreformer.real-speech=DIR, else shared/data/real-speech beside the checkout. */
    public static Path folder() {
        Path folder = Path.of(System.getProperty("reformer.real-speech", "../../shared/data/real-speech")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(folder.resolve("speech-commands.jsonl"))) {
            fail("the real-speech recordings are not at " + folder + ": pass -Dreformer.real-speech=DIR (the folder with"
                    + " speech-commands.jsonl, an4-train.jsonl and fsdd.jsonl) to mvn");
        }
        return folder;
    }

    @Test
    void realCommandsAreSplitBySpeakerAndPointAtTheRecordingsWhereTheyLie(@TempDir Path dir) throws Exception {
        Path folder = folder();
        RealCommands.build(RealSpeech.at(folder), dir.resolve("a"), 1, 0);
        Map<String, List<Manifest.Row>> sets = read(dir.resolve("a"), "train", "val", "test", "test-an4");
        assertNoSpeakerInTwoSplits(sets);
        assertTrue(sets.get("train").size() > 2000 && sets.get("test").size() > 300, "rows: " + sizes(sets));
        Set<String> labels = new HashSet<>();
        sets.get("train").forEach(r -> labels.add(r.label()));
        assertEquals(Set.of("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "unknown", "silence"), labels);
        for (Manifest.Row r : sets.get("test")) assertEquals("speech-commands", r.source());
        for (Manifest.Row r : sets.get("test-an4")) {
            assertEquals("an4", r.source());
            assertEquals(RealCommands.labelOf(r.text()), r.label(), r.where());
        }
        // nothing copied: every row is a recording in the real-speech folder
        for (List<Manifest.Row> rows : sets.values()) for (Manifest.Row r : rows) assertTrue(r.audio().startsWith(folder), r.audio().toString());

        // the same seed gives the same manifests; another seed another split
        RealCommands.build(RealSpeech.at(folder), dir.resolve("b"), 1, 0);
        RealCommands.build(RealSpeech.at(folder), dir.resolve("c"), 2, 0);
        for (String m : List.of("train.jsonl", "test.jsonl", "split.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(m)), Files.readAllBytes(dir.resolve("b").resolve(m)), m);
        }
        assertFalse(Files.readString(dir.resolve("a/split.json")).equals(Files.readString(dir.resolve("c/split.json"))));
    }

    @Test
    void perturbedCopiesStayInTheirSpeakersSplit(@TempDir Path dir) throws Exception {
        // a folder of its own with only a few recordings, so that copies are quick to make
        Path folder = smallCopy(dir.resolve("real"), 30);
        RealCommands.build(RealSpeech.at(folder), dir.resolve("set"), 1, 1);
        Map<String, List<Manifest.Row>> sets = read(dir.resolve("set"), "train", "val", "test");
        assertNoSpeakerInTwoSplits(sets);
        List<Manifest.Row> copies = sets.get("train").stream().filter(r -> !r.audio().startsWith(folder)).toList();
        long originals = sets.get("train").size() - copies.size();
        assertEquals(originals, copies.size(), "one copy of each training clip");
        for (Manifest.Row r : copies) {
            byte[] wav = Files.readAllBytes(r.audio());
            PcmDecoder decoder = PcmDecoder.wav();
            assertEquals(16000, decoder.push(wav, 0, wav.length).length, r.where() + "one second at 16 kHz");
            assertEquals(16000, decoder.sampleRate());
        }
    }

    @Test
    void realDigitsJoinOneSpeakersDigitsWithinTheirSplit(@TempDir Path dir) throws Exception {
        Path folder = folder();
        RealDigits.build(RealSpeech.at(folder), dir, 1, 0, Map.of("train", 6, "val", 3, "test", 4));
        Map<String, List<Manifest.Row>> sets = read(dir, "train", "val", "test-isolated", "test-strings", "test-an4", "test-isolated-sc");
        assertNoSpeakerInTwoSplits(Map.of("train", sets.get("train"), "val", sets.get("val"),
                "test", concat(sets.get("test-isolated"), sets.get("test-strings"), sets.get("test-an4"), sets.get("test-isolated-sc"))));
        List<Manifest.Row> spokenDigits = concat(sets.get("train"), sets.get("val"), sets.get("test-isolated-sc")).stream()
                .filter(r -> r.source().equals("speech-commands")).toList();
        assertTrue(spokenDigits.size() > 100, "Speech Commands' digit words are in: " + spokenDigits.size());
        for (Manifest.Row r : spokenDigits) assertEquals(String.valueOf(SpeechSets.DIGIT_WORDS.indexOf(r.text())), r.label(), r.where());
        assertFalse(sets.get("test-isolated-sc").isEmpty());
        assertEquals(500, sets.get("test-isolated").size(), "one FSDD speaker: 50 of each digit");
        assertEquals(4, sets.get("test-strings").size());
        String testSpeaker = sets.get("test-isolated").get(0).voice();
        List<String> words = SpeechSets.DIGIT_WORDS;
        for (Manifest.Row r : sets.get("test-strings")) {
            assertEquals(testSpeaker, r.voice(), r.where() + "a test string is the test speaker's");
            String[] said = r.text().split(" ");
            assertTrue(said.length >= 3 && said.length <= 7, r.text());
            for (String w : said) assertTrue(words.contains(w), r.text());
            byte[] wav = Files.readAllBytes(r.audio());
            assertTrue(AudioFiles.seconds(r.audio()) > 0.25 * said.length, r.where() + "long enough for its digits");
            assertEquals(wav.length, Files.size(r.audio()));
        }
        for (Manifest.Row r : sets.get("test-an4")) {
            for (String w : r.text().split(" ")) assertTrue(words.contains(w) || w.equals("oh"), r.text());
        }
        assertEquals(Manifest.Kind.AUDIO_TRANSCRIPT, Manifest.kindOf(sets.get("train"), dir.resolve("train.jsonl")));
    }

    @Test
    void aMissingFolderSaysWhatToPass(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RealSpeech.at(dir));
        assertTrue(e.getMessage().contains("pass --real-speech DIR"), e.getMessage());
    }

    private static void assertNoSpeakerInTwoSplits(Map<String, List<Manifest.Row>> sets) {
        Map<String, String> seen = new HashMap<>();
        for (var set : sets.entrySet()) {
            for (Manifest.Row r : set.getValue()) {
                String speaker = r.source().replace("-joined", "") + ":" + r.voice();
                String before = seen.putIfAbsent(speaker, set.getKey());
                assertTrue(before == null || before.equals(set.getKey()), speaker + " is in " + before + " and in " + set.getKey());
            }
        }
    }

    private static Map<String, List<Manifest.Row>> read(Path dir, String... names) throws Exception {
        Map<String, List<Manifest.Row>> out = new HashMap<>();
        for (String n : names) out.put(n, Manifest.read(dir.resolve(n + ".jsonl")));
        return out;
    }

    private static Map<String, Integer> sizes(Map<String, List<Manifest.Row>> sets) {
        Map<String, Integer> out = new HashMap<>();
        sets.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }

    @SafeVarargs
    private static List<Manifest.Row> concat(List<Manifest.Row>... lists) {
        List<Manifest.Row> out = new ArrayList<>();
        for (List<Manifest.Row> l : lists) out.addAll(l);
        return out;
    }

    /** The first n lines of each corpus manifest, with links to their recordings: a small real-speech folder. */
    private static Path smallCopy(Path to, int n) throws Exception {
        Path from = folder();
        for (String manifest : List.of("speech-commands.jsonl", "an4-train.jsonl", "fsdd.jsonl")) {
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(from.resolve(manifest))) {
                // every n-th line, so that several speakers and labels are in
                if (lines.size() < n && line.hashCode() % 7 == 0) lines.add(line);
            }
            Files.createDirectories(to);
            Files.write(to.resolve(manifest), lines);
        }
        for (String corpus : List.of("speech-commands", "an4", "fsdd")) Files.createSymbolicLink(to.resolve(corpus), from.resolve(corpus));
        return to;
    }
}
