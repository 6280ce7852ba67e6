package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.audio.PcmDecoder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The speech sets made by the real espeak-ng and sox (Debian packages espeak-ng and sox; .ci/run installs them), tiny:
 * made once, then checked for determinism, the split, the audio and the stream segments.
 */
class SpeechSetsTest {
    private static final java.util.Map<String, Integer> TINY = new java.util.LinkedHashMap<>(java.util.Map.of("commands", 24, "digits", 10, "streams", 3));

    @TempDir
    static Path dir;
    static Path first;

    private static int datagen(Path out, long seed, int threads) throws Exception {
        return DatagenRun.datagen(out, seed, threads, List.of("espeak-ng"), 0, null, TINY);
    }

    @BeforeAll
    static void makeOnce() throws Exception {
        first = dir.resolve("first");
        assertEquals(0, datagen(first, 11, 2));
    }

    /** Every file under a folder, relative, sorted. */
    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }

    @Test
    void sameSeedGivesTheSameBytesOnAnyThreadCount() throws Exception {
        Path second = dir.resolve("second");
        assertEquals(0, datagen(second, 11, 1));
        List<Path> files = files(first);
        assertEquals(files, files(second));
        assertTrue(files.stream().filter(p -> p.toString().endsWith(".wav")).count() >= 24 + 10 + 3);
        for (Path f : files) assertArrayEquals(Files.readAllBytes(first.resolve(f)), Files.readAllBytes(second.resolve(f)), f.toString());
    }

    @Test
    void anotherSeedGivesOtherData() throws Exception {
        Path other = dir.resolve("other");
        assertEquals(0, DatagenRun.datagen(other, 12, 2, List.of("espeak-ng"), 0, null, java.util.Map.of("commands", 12)));
        assertFalse(Files.readString(first.resolve("commands/train.jsonl")).equals(Files.readString(other.resolve("commands/train.jsonl"))));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(first.resolve("commands/wav/train/train-00000.wav")),
                Files.readAllBytes(other.resolve("commands/wav/train/train-00000.wav"))));
    }

    @Test
    void noVoiceOrSpeakerIsInTwoSplits() throws Exception {
        for (String set : List.of("commands", "digits", "streams")) {
            List<Set<String>> voices = new ArrayList<>();
            for (String split : List.of("train", "val", "test")) {
                Set<String> seen = new HashSet<>();
                for (Manifest.Row r : Manifest.read(first.resolve(set + "/" + split + ".jsonl"))) seen.add(r.engine() + "/" + r.voice());
                voices.add(seen);
            }
            for (int a = 0; a < 3; a++) {
                for (int b = a + 1; b < 3; b++) {
                    Set<String> both = new TreeSet<>(voices.get(a));
                    both.retainAll(voices.get(b));
                    assertTrue(both.isEmpty(), set + ": in two splits: " + both);
                }
            }
        }
        // the unit is the speaker: an espeak-ng variant is held out with all its accents
        JsonNode split = new ObjectMapper().readTree(first.resolve("commands/split.json").toFile());
        Set<String> trainVariants = new HashSet<>();
        split.get("train").get("voices").forEach(v -> trainVariants.add(v.asText().replaceAll(".*\\+", "")));
        split.get("test").get("voices").forEach(v -> assertFalse(trainVariants.contains(v.asText().replaceAll(".*\\+", "")), v.asText()));
        assertTrue(split.get("test").get("voices").size() > 0);
    }

    @Test
    void madeUpVoicesAreHeardInTrainingOnlyAndLeaveTheHeldOutClipsAsTheyWere() throws Exception {
        Path with = dir.resolve("random-voices");
        assertEquals(0, DatagenRun.datagen(with, 11, 2, List.of("espeak-ng"), 3, null, java.util.Map.of("commands", 24)));
        // validation and test: the same clips, byte for byte, as the run without made-up voices
        for (String split : List.of("val", "test")) {
            assertEquals(Files.readString(first.resolve("commands/" + split + ".jsonl")), Files.readString(with.resolve("commands/" + split + ".jsonl")));
            for (Manifest.Row r : Manifest.read(with.resolve("commands/" + split + ".jsonl"))) {
                assertFalse(r.voice().contains(RandomEspeakVariants.PREFIX), r.where());
                assertArrayEquals(Files.readAllBytes(first.resolve("commands").resolve(with.resolve("commands").relativize(r.audio()))),
                        Files.readAllBytes(r.audio()), r.where());
            }
        }
        long madeUp = Manifest.read(with.resolve("commands/train.jsonl")).stream().filter(r -> r.voice().contains(RandomEspeakVariants.PREFIX)).count();
        assertTrue(madeUp > 0, "no training clip has a made-up voice");
        JsonNode split = new ObjectMapper().readTree(with.resolve("commands/split.json").toFile());
        assertTrue(split.get("train").get("speakers").toString().contains(VoiceSplit.TRAINING_ONLY_POOL + ":" + RandomEspeakVariants.name(2)));
        assertFalse(split.get("val").toString().contains(VoiceSplit.TRAINING_ONLY_POOL));
        assertFalse(split.get("test").toString().contains(VoiceSplit.TRAINING_ONLY_POOL));
    }

    @Test
    void aMadeUpVariantIsReallySpoken() throws Exception {
        // espeak-ng falls back to its default variant, silently, when it cannot read one: each must sound different
        EspeakSynth synth = EspeakSynth.withRandomVariants(dir.resolve("variants"), 2, 5);
        Set<String> sounds = new HashSet<>();
        sounds.add(java.util.Arrays.toString(new EspeakSynth().speak("stop", new Voice("espeak-ng", "en-us", "espeak-ng:default"), 1, 0)));
        for (int i = 0; i < 2; i++) {
            String variant = RandomEspeakVariants.name(i);
            Voice voice = new Voice("espeak-ng", "en-us+" + variant, VoiceSplit.TRAINING_ONLY_POOL + ":" + variant);
            assertTrue(synth.voices().contains(voice), voice.toString());
            byte[] wav = synth.speak("stop", voice, 1, 0);
            assertTrue(wav.length > 10_000, voice + " said nothing");
            assertTrue(sounds.add(java.util.Arrays.toString(wav)), voice + " sounds like another voice: its variant was not read");
        }
        // the same seed writes the same variants
        Path again = dir.resolve("variants-again");
        EspeakSynth.withRandomVariants(again, 2, 5);
        for (int i = 0; i < 2; i++) {
            Path v = Path.of("seed-5-2", "espeak-ng-data", "voices", "!v", RandomEspeakVariants.name(i));
            assertEquals(Files.readString(dir.resolve("variants").resolve(v)), Files.readString(again.resolve(v)));
        }
    }

    /** RMS of the loudest 50 ms window. */
    private static double loudest(float[] x) {
        int w = 800;
        double best = 0;
        for (int start = 0; start + w <= x.length; start += w / 2) best = Math.max(best, Audio.rms(x, start, start + w));
        return best;
    }

    private static float[] decode16kMono(Path wav) throws Exception {
        PcmDecoder decoder = PcmDecoder.wav();
        byte[] bytes = Files.readAllBytes(wav);
        float[] head = decoder.push(bytes, 0, bytes.length), tail = decoder.finish();
        assertEquals(16000, decoder.sampleRate(), wav.toString());
        assertEquals(1, decoder.channels(), wav.toString());
        float[] all = new float[head.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void commandClipsDecodeAtSixteenKilohertzAndWordsAreHeard() throws Exception {
        Set<String> labels = new TreeSet<>();
        for (String split : List.of("train", "val", "test")) {
            for (Manifest.Row r : Manifest.read(first.resolve("commands/" + split + ".jsonl"))) {
                labels.add(r.label());
                float[] x = decode16kMono(r.audio());
                double seconds = x.length / 16000.0;
                if (r.label().equals(SpeechSets.SILENCE)) {
                    assertEquals(1.0, seconds, 1e-9, r.where());
                    assertTrue(loudest(x) < 0.05, r.where() + "silence is loud: " + loudest(x));
                } else {
                    assertTrue(seconds > 0.3 && seconds < 3, r.where() + seconds + " s");
                    assertTrue(loudest(x) > 0.05, r.where() + "no speech heard: " + loudest(x));
                    assertEquals(r.label().equals(SpeechSets.UNKNOWN) ? r.text() : r.label(), r.text(), r.where());
                    assertTrue(SpeechSets.COMMANDS.contains(r.label()) != SpeechSets.UNKNOWN_WORDS.contains(r.text()), r.where());
                }
            }
        }
        Set<String> expected = new TreeSet<>(SpeechSets.COMMANDS);
        expected.addAll(List.of(SpeechSets.UNKNOWN, SpeechSets.SILENCE));
        assertEquals(expected, labels, "24 clips take the 12 labels in turn");
    }

    @Test
    void digitTranscriptsSpellTheirDigits() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(first.resolve("digits/train.jsonl"))) {
            JsonNode node = json.readTree(line);
            String digits = node.get("digits").asText();
            String[] words = node.get("text").asText().split(" ");
            assertFalse(node.has("label"), "digits are for transcription");
            assertTrue(digits.length() >= 3 && digits.length() <= 12, digits);
            assertEquals(digits.length(), words.length, line);
            for (int i = 0; i < words.length; i++) {
                int d = digits.charAt(i) - '0';
                assertTrue(words[i].equals(SpeechSets.DIGIT_WORDS.get(d)) || d == 0 && words[i].equals("oh"), line);
            }
        }
    }

    @Test
    void streamSegmentsTileTheStreamAndSpeechIsWhereTheySay() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String split : List.of("train", "val", "test")) {
            Path manifest = first.resolve("streams/" + split + ".jsonl");
            for (String line : Files.readAllLines(manifest)) {
                JsonNode node = json.readTree(line);
                float[] x = decode16kMono(manifest.getParent().resolve(node.get("audio").asText()));
                assertEquals(x.length / 16000.0, node.get("duration").asDouble(), 1e-4);
                double at = 0, speechRms = 0, silenceRms = 0;
                int speech = 0, silence = 0;
                List<String> words = new ArrayList<>();
                for (JsonNode s : node.get("segments")) {
                    assertEquals(at, s.get("start").asDouble(), 1e-9, "segments tile the stream");
                    at = s.get("end").asDouble();
                    // times are rounded to 0.1 ms, a sample is 62.5 µs
                    int from = (int) Math.round(s.get("start").asDouble() * 16000), to = Math.min(x.length, (int) Math.round(at * 16000));
                    String kind = s.get("kind").asText();
                    if (s.has("text")) words.add(s.get("text").asText());
                    if (List.of("command", "unknown", "digits").contains(kind)) { speechRms += Audio.rms(x, from, to); speech++; }
                    if (kind.equals("silence")) { silenceRms += Audio.rms(x, from, to); silence++; }
                }
                assertEquals(node.get("duration").asDouble(), at, 1e-4);
                assertEquals(String.join(" ", words), node.get("text").asText());
                assertTrue(speech > 0 && silence > 0);
                assertTrue(speechRms / speech > 2 * silenceRms / silence, "speech segments are louder than the pauses: "
                        + speechRms / speech + " vs " + silenceRms / silence);
            }
        }
    }
}
