package dev.reformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * datagen → train → eval on recordings of real people (FLAC, as the corpora ship them), small enough for every CI run:
 * three classes of Speech Commands (yes, no, background noise) from datagen's real-commands set, the model scored on
 * speakers it never heard, with the breakdowns by speaker and by source that RESULTS.md shows.
 */
@Tag("slow")   // datagen, training and eval on real recordings: mvn verify (failsafe), not mvn test
class RealSpeechTrainEvalTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aModelTrainedOnRealSpeakersRecognisesHeldOutSpeakers(@TempDir Path dir) throws Exception {
        Path folder = dev.reformer.datagen.RealSpeechTest.folder();
        assertEquals(0, Main.run("datagen", "--sets", "real-commands", "--size", "small", "--real-speech", folder.toString(), "--out", dir.toString()));
        Path set = dir.resolve("real-commands");
        Path train = subset(set.resolve("train.jsonl"), dir.resolve("train.jsonl"), 90);
        Path val = subset(set.resolve("val.jsonl"), dir.resolve("val.jsonl"), 20);
        Path test = subset(set.resolve("test.jsonl"), dir.resolve("test.jsonl"), 40);
        Path model = dir.resolve("model");
        assertEquals(0, Main.run("train", "--train", train.toString(), "--validation", val.toString(), "--out", model.toString(),
                "--max-length", "64", "--frame-stack", "4", "--epochs", "8", "--patience", "8", "--batch-size", "16", "--centre"));
        assertTrue(JSON.readTree(model.resolve("config.json").toFile()).at("/reformer_flink/input/centred").asBoolean(), "--centre is stored");

        Path out = dir.resolve("eval");
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString(), "--out", out.toString()));
        JsonNode eval = JSON.readTree(out.resolve("eval.json").toFile());
        double accuracy = eval.get("systems").get(0).get("accuracy").asDouble();
        // three classes: chance is a third; speech against noise alone gives two thirds
        assertTrue(accuracy > 0.6, "accuracy on held-out real speakers " + accuracy);
        assertEquals(eval.get("rows").asInt(), eval.get("by_source").get("speech-commands").get("rows").asInt());
        int bySpeaker = 0;
        for (JsonNode speaker : eval.get("by_speaker")) bySpeaker += speaker.get("rows").asInt();
        assertEquals(eval.get("rows").asInt(), bySpeaker, "every row is in one speaker's group");
        assertTrue(Files.readString(out.resolve("results.md")).contains("by speaker"), Files.readString(out.resolve("results.md")));
    }

    /** Up to n rows of each of yes, no and silence, in manifest order, with audio paths made absolute. */
    private static Path subset(Path from, Path to, int n) throws Exception {
        Map<String, List<String>> byLabel = new TreeMap<>();
        for (String line : Files.readAllLines(from)) {
            JsonNode row = JSON.readTree(line);
            String label = row.get("label").asText();
            if (!List.of("yes", "no", "silence").contains(label) || byLabel.computeIfAbsent(label, l -> new ArrayList<>()).size() >= n) continue;
            ((com.fasterxml.jackson.databind.node.ObjectNode) row).put("audio", from.getParent().resolve(row.get("audio").asText()).normalize().toString());
            byLabel.get(label).add(JSON.writeValueAsString(row));
        }
        List<String> lines = new ArrayList<>();
        byLabel.values().forEach(lines::addAll);
        Files.write(to, lines);
        return to;
    }
}
