package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HumanDigitsTest {
    @Test
    void tidigitsNamesSpellTheirDigits() {
        assertEquals("two nine three four zero", HumanDigits.transcript("2934z"));
        assertEquals("three five oh", HumanDigits.transcript("35o"));
        assertThrows(IllegalArgumentException.class, () -> HumanDigits.transcript("29a"));
    }

    @Test
    void writesTheRecordingsAsATranscriptManifest(@TempDir Path dir) throws Exception {
        assumeTrue(HumanDigits.installed(), "Debian package pocketsphinx-testdata is not installed");
        int n = HumanDigits.write(dir);
        assertTrue(n >= 1);
        List<Manifest.Row> rows = Manifest.read(dir.resolve("test.jsonl"));
        assertEquals(n, rows.size());
        assertEquals(Manifest.Kind.AUDIO_TRANSCRIPT, Manifest.kindOf(rows, dir.resolve("test.jsonl")));
        Manifest.Row first = rows.get(0);
        assertEquals("two nine three four zero", first.text());
        float[] samples = Audio.decode(Files.readAllBytes(first.audio()));
        assertEquals(76800 / 2, samples.length, "2.4 s of 16 kHz audio, every sample kept");
        double rms = Audio.rms(samples, 0, samples.length);
        assertTrue(rms > 0.001, "a human voice is heard: rms " + rms);
    }
}
