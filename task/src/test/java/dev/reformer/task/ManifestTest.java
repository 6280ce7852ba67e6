package dev.reformer.task;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestTest {

    /** A manifest whose line 2 is the given line, after a good first line; the error must name the file, line 2, and the problem. */
    private static void assertLineTwoRefused(Path dir, String line, String... expectedInMessage) throws Exception {
        Path file = dir.resolve("m.jsonl");
        Files.writeString(file, "{\"audio\": \"a.wav\", \"label\": \"yes\"}\n" + line + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Manifest.read(file), line);
        assertTrue(e.getMessage().startsWith(file + ":2: "), e.getMessage());
        for (String part : expectedInMessage) assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }

    @Test
    void badLinesNameFileLineAndProblem(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("a.wav"), new byte[44]);
        assertLineTwoRefused(dir, "{\"audio\": \"a.wav\", \"label\": ", "not valid JSON", "accepted:");
        assertLineTwoRefused(dir, "[\"a.wav\", \"yes\"]", "not a JSON object", "accepted:");
        assertLineTwoRefused(dir, "{\"audio\": \"missing.wav\", \"label\": \"yes\"}", "missing.wav does not exist", "relative to the manifest");
        assertLineTwoRefused(dir, "{\"audio\": \"a.wav\"}", "\"label\" (classification) or a \"text\" (transcription)");
        assertLineTwoRefused(dir, "{\"text\": \"hello\"}", "missing \"label\"");
        assertLineTwoRefused(dir, "{\"label\": \"ham\"}", "missing \"text\"");
        assertLineTwoRefused(dir, "{\"audio\": 7, \"label\": \"yes\"}", "\"audio\" must be a path (a string), not number");
        assertLineTwoRefused(dir, "{\"audio\": \"a.wav\", \"text\": [\"yes\"]}", "\"text\" must be a string");
        assertLineTwoRefused(dir, "{\"audio\": \"a.wav\", \"label\": {\"x\": 1}}", "\"label\" must be a string or a number");
        assertLineTwoRefused(dir, "{\"audio\": \"a.wav\", \"label\": \"yes\", \"voice\": 3}", "\"voice\" must be a string");
    }

    @Test
    void emptyAndMissingFilesAreRefused(@TempDir Path dir) throws Exception {
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "\n\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Manifest.read(empty)).getMessage().contains("holds no examples"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Manifest.read(dir.resolve("none.jsonl"))).getMessage().contains("does not exist"));
    }

    @Test
    void writtenLinesReadBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("set/m.jsonl");   // the folder is made by write
        Manifest.write(file, List.of());
        Files.createDirectories(dir.resolve("set/wav"));
        Files.write(dir.resolve("set/wav/x.wav"), new byte[44]);
        Manifest.write(file, List.of(Manifest.line("wav/x.wav", "four oh seven", null, "espeak-ng", "en-us+f3"),
                Manifest.line("wav/x.wav", "yes", "yes", "flite", "slt")));
        assertEquals("{\"audio\":\"wav/x.wav\",\"text\":\"four oh seven\",\"engine\":\"espeak-ng\",\"voice\":\"en-us+f3\"}",
                Files.readAllLines(file).get(0));
        List<Manifest.Row> rows = Manifest.read(file);
        assertEquals(Manifest.Kind.AUDIO_TRANSCRIPT, rows.get(0).kind());
        assertNull(rows.get(0).label());
        assertEquals(dir.resolve("set/wav/x.wav").toAbsolutePath().normalize(), rows.get(1).audio());
        assertEquals("slt", rows.get(1).voice());
        // a row may carry both text and label: with one row unlabelled, the manifest is one of transcripts
        assertEquals(Manifest.Kind.AUDIO_TRANSCRIPT, Manifest.kindOf(rows, file));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Manifest.requireKind(rows, Manifest.Kind.AUDIO_LABEL));
        assertTrue(e.getMessage().contains(":1: has no \"label\", and every row of audio with labels needs one"), e.getMessage());
        Manifest.requireKind(rows.subList(1, 2), Manifest.Kind.AUDIO_TRANSCRIPT);
        assertEquals(Manifest.Kind.AUDIO_LABEL, Manifest.kindOf(rows.subList(1, 2), file));

        // a row that fits neither (a label, no text) among transcripts is named
        Manifest.write(file, List.of(Manifest.line("wav/x.wav", "four", null, null, null), Manifest.line("wav/x.wav", null, "4", null, null)));
        List<Manifest.Row> mixed = Manifest.read(file);
        IllegalArgumentException neither = assertThrows(IllegalArgumentException.class, () -> Manifest.kindOf(mixed, file));
        assertTrue(neither.getMessage().contains(":2: has no \"text\""), neither.getMessage());
    }
}
