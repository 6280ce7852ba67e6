package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Text sets as manifests of {"text": ..., "label": ...}: exact duplicates removed (the first kept), then per label a
 * seeded shuffle and a cut into 80% train, 10% validation (val.jsonl), 10% test, so every label is in every split
 * in proportion and the test split is never trained on. split.json counts each label in each split.
 */
public final class TextSets {
    public record Example(String text, String label) {}

    private TextSets() {}

    /** Writes train/val/test.jsonl and split.json under dir; returns the counts per split. */
    public static Map<String, Integer> write(Path dir, String set, List<Example> examples, long seed) throws IOException {
        Map<String, List<Example>> byLabel = new TreeMap<>();
        for (Example e : new LinkedHashSet<>(examples)) byLabel.computeIfAbsent(e.label(), k -> new ArrayList<>()).add(e);
        Map<String, List<ObjectNode>> splits = new LinkedHashMap<>();
        for (String s : List.of("train", "val", "test")) splits.put(s, new ArrayList<>());
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (Map.Entry<String, List<Example>> label : byLabel.entrySet()) {
            List<Example> list = new ArrayList<>(label.getValue());
            shuffle(list, Seeds.random(seed, set, label.getKey()));
            int n = list.size(), test = (int) Math.round(0.1 * n), validation = (int) Math.round(0.1 * n);
            for (int i = 0; i < n; i++) {
                String s = i < test ? "test" : i < test + validation ? "val" : "train";
                splits.get(s).add(Manifest.line(null, list.get(i).text(), list.get(i).label(), null, null));
                counts.computeIfAbsent(s, k -> new TreeMap<>()).merge(label.getKey(), 1, Integer::sum);
            }
        }
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (Map.Entry<String, List<ObjectNode>> s : splits.entrySet()) {
            // labels interleaved, not in blocks: a reader that takes the first lines still sees every label
            List<ObjectNode> lines = s.getValue();
            shuffle(lines, Seeds.random(seed, set, s.getKey(), "order"));
            Manifest.write(dir.resolve(s.getKey() + ".jsonl"), lines);
            sizes.put(s.getKey(), lines.size());
        }
        java.nio.file.Files.writeString(dir.resolve("split.json"), Manifest.pretty(counts));
        return sizes;
    }

    /** At most n of the items, drawn with the seed (all of them, in a seeded order, when there are fewer). */
    public static <T> List<T> sample(List<T> items, int n, long seed, String name) {
        List<T> copy = new ArrayList<>(items);
        shuffle(copy, Seeds.random(seed, "sample", name));
        return new ArrayList<>(copy.subList(0, Math.min(n, copy.size())));
    }

    static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) Collections.swap(list, i, random.nextInt(i + 1));
    }

    /** Whitespace runs to one space, terminal colour codes removed, trimmed. */
    static String clean(String text) {
        return text.replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "").replaceAll("\\s+", " ").trim();
    }
}
