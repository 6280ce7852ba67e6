package dev.reformer.datagen;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FreeTTS in this JVM, then through sox (Debian package sox) like the other engines; it needs no program of its own. */
class FreeTtsSynthTest {
    private final FreeTtsSynth synth = new FreeTtsSynth();

    @Test
    void voicesAreKalsRecordings() {
        assertEquals("freetts", synth.engine());
        assertTrue(synth.installed());
        assertEquals(List.of(), synth.debianPackages());
        assertEquals(List.of("freetts/kevin", "freetts/kevin16"), synth.voices().stream().map(Voice::toString).toList());
        assertTrue(synth.voices().stream().allMatch(v -> v.speaker().equals("kal")));
    }

    /** The same call gives the same bytes, also after calls with other text and settings in between. */
    @Test
    void sameTextAndSettingsGiveTheSameBytes() throws Exception {
        for (Voice voice : synth.voices()) {
            byte[] first = synth.speak("four oh seven", voice, 1.1, -0.4);
            byte[] other = synth.speak("stop", voice, 0.85, 0.9);
            assertArrayEquals(first, synth.speak("four oh seven", voice, 1.1, -0.4), voice.toString());
            assertArrayEquals(first, new FreeTtsSynth().speak("four oh seven", voice, 1.1, -0.4), voice.toString());
            assertFalse(java.util.Arrays.equals(first, other));
        }
    }

    /** Rate and pitch change the audio; a faster rate gives a shorter clip. */
    @Test
    void rateAndPitchAreApplied() throws Exception {
        Voice kevin16 = synth.voices().get(1);
        float[] normal = Audio.toMono16k(synth.speak("left right", kevin16, 1, 0), List.of());
        float[] fast = Audio.toMono16k(synth.speak("left right", kevin16, 1.15, 0), List.of());
        float[] higher = Audio.toMono16k(synth.speak("left right", kevin16, 1, 1), List.of());
        assertTrue(fast.length < 0.92 * normal.length, fast.length + " vs " + normal.length);
        assertFalse(java.util.Arrays.equals(normal, higher));
    }

    /**
     * After the common audio path (sox to 16 kHz mono): speech, as long from kevin (8 kHz) as from kevin16, so each
     * WAV header gave its own rate.
     */
    @Test
    void speechIsHeardAtSixteenKilohertz() throws Exception {
        List<Integer> lengths = new ArrayList<>();
        for (Voice voice : synth.voices()) {
            float[] speech = Audio.trim(Audio.toMono16k(synth.speak("yes", voice, 1, 0), List.of()));
            assertTrue(speech.length > Audio.samples(0.2) && speech.length < Audio.samples(1.5), voice + ": " + speech.length);
            assertTrue(Audio.rms(speech, 0, speech.length) > 0.02, voice + " is quiet");
            lengths.add(speech.length);
        }
        assertEquals(lengths.get(0), lengths.get(1), 0.1 * lengths.get(1), lengths.toString());
    }

    /**
     * datagen with FreeTTS alone, on two threads, twice: the same manifests and WAV bytes, every clip's engine "freetts",
     * and the WAVs 16 kHz mono with speech.
     */
    @Test
    void datagenWithFreettsIsDeterministicAndNamesIt(@TempDir Path dir) throws Exception {
        List<Path> outs = List.of(dir.resolve("a"), dir.resolve("b"));
        for (Path out : outs) {
            assertEquals(0, DatagenRun.datagen(out, 1, 2, List.of("freetts"), 0, null, java.util.Map.of("digits", 16)));
        }
        List<String> engines = new ArrayList<>();
        for (String line : Files.readAllLines(outs.get(0).resolve("digits/train.jsonl"))) {
            JsonNode clip = new ObjectMapper().readTree(line);
            engines.add(clip.get("engine").asText());
            Path wav = outs.get(0).resolve("digits").resolve(clip.get("audio").asText());
            assertArrayEquals(Files.readAllBytes(wav), Files.readAllBytes(outs.get(1).resolve("digits").resolve(clip.get("audio").asText())));
            byte[] bytes = Files.readAllBytes(wav);
            ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, header.getShort(22), "channels");
            assertEquals(Audio.RATE, header.getInt(24));
            assertTrue(Audio.decode(bytes).length > Audio.samples(0.5));
        }
        assertFalse(engines.isEmpty());
        assertTrue(engines.stream().allMatch("freetts"::equals), engines.toString());
        assertEquals(Files.readString(outs.get(0).resolve("digits/train.jsonl")), Files.readString(outs.get(1).resolve("digits/train.jsonl")));
    }
}
