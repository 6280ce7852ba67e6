package dev.reformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.model.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {

    static Path manifest(Path dir, String name, long seed, int n) throws Exception {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        String[] words = {"the", "of", "and", "to", "in", "is", "it", "that", "for", "on"};
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 10; w++) text.append(words[random.nextInt(words.length)]).append(' ');
            boolean fruit = random.nextBoolean();
            if (fruit) text.append("apple");
            lines.add("{\"text\": \"" + text.toString().trim() + "\", \"label\": \"" + (fruit ? "fruit" : "none") + "\"}");
        }
        Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    @Test
    void trainsAndWritesModelMetricsAndCurves(@TempDir Path dir) throws Exception {
        Path train = manifest(dir, "train.jsonl", 1, 48), validation = manifest(dir, "val.jsonl", 2, 16);
        Path out = dir.resolve("model");
        assertEquals(0, Main.run("train", "--train", train.toString(), "--validation", validation.toString(),
                "--out", out.toString(), "--epochs", "2", "--max-length", "128"));
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("epochs").size());
        assertTrue(metrics.get("best_validation_accuracy").asDouble() >= 0);
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("fruit", config.get("id2label").get("0").asText());
        assertTrue(SafeTensors.read(out.resolve("model.safetensors")).containsKey("classifier.weight"));
        for (String png : new String[]{"loss.png", "accuracy.png"}) assertNotNull(ImageIO.read(out.resolve(png).toFile()), png);
    }

    @Test
    void badManifestLinesAreNamed(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\", \"label\": \"a\"}\n{\"text\": \"no label\"}\n");
        Path good = manifest(dir, "val.jsonl", 2, 4);
        assertEquals(2, Main.run("train", "--train", bad.toString(), "--validation", good.toString(), "--out", dir.resolve("m").toString()));
        Path audio = dir.resolve("audio.jsonl");
        Files.writeString(audio, "{\"wav\": \"a.wav\", \"label\": \"yes\"}\n");
        assertEquals(2, Main.run("train", "--train", audio.toString(), "--validation", good.toString(), "--out", dir.resolve("m").toString()));
    }
}
