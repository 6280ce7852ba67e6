package dev.reformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Rotations;
import dev.reformer.task.TaskModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.reformer.eval.ResultsSection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** train then eval, for real, on a tiny text set and datagen's tiny spoken-commands set; and the errors of eval. */
@Tag("slow")   // trains the models it scores: mvn verify (failsafe), not mvn test
class EvalCommandTest {

    @Test
    void evaluatesATextClassifierWithItsFastTextBaselineAndUpdatesTheResultsFile(@TempDir Path dir) throws Exception {
        Path test = TrainCommandTest.manifest(dir, "test.jsonl", 3, 20);
        Path model = train(TrainCommandTest.manifest(dir, "train.jsonl", 1, 32), TrainCommandTest.manifest(dir, "val.jsonl", 2, 16), dir.resolve("model"), "64", "1");
        Path results = dir.resolve("RESULTS.md");
        Files.writeString(results, "# Results\n\nkept as it is\n");
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString(), "--baselines", "--results", results.toString(), "--card"));
        JsonNode eval = checkEvalJson(dev.reformer.eval.Evaluation.defaultOut(model, test), 20, true);
        String card = Files.readString(model.resolve("README.md"));
        for (String part : List.of("# Model card: model", "Labels: fruit, none", "./reformer train --train", "![loss](loss.png)",
                ResultsSection.markerOf(model.toString(), test.toString()), "confusion.png")) {
            assertTrue(card.contains(part), "the card has " + part + ":\n" + card);
        }
        assertEquals("fastText", eval.get("systems").get(1).get("system").asText());
        if (dev.reformer.eval.FastText.FASTTEXT.installed()) {
            JsonNode fastText = eval.get("systems").get(1);
            assertEquals("ran", fastText.get("status").asText(), fastText.toString());
            assertTrue(fastText.get("accuracy").asDouble() >= 0 && fastText.get("accuracy").asDouble() <= 1);
            assertEquals(20, fastText.get("confusion_total").asLong());
        }
        assertTrue(Files.readString(results).contains("| fastText | "), Files.readString(results));
        // run again without baselines: the same model and manifest, so the section is replaced, not added
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString(), "--results", results.toString()));
        String text = Files.readString(results);
        assertTrue(text.startsWith("# Results\n\nkept as it is\n"), text);
        assertEquals(1, text.split("<!-- reformer eval: model=", -1).length - 1, "one section after two runs:\n" + text);
        assertTrue(text.contains("| Reformer (ours) | accuracy ") && !text.contains("| fastText | "), text);
    }

    @Test
    void evaluatesASpokenCommandsClassifierTrainedOnDatagensSet(@TempDir Path dir) throws Exception {
        assumeTrue(dev.reformer.datagen.Tool.ESPEAK_NG.installed() && dev.reformer.datagen.Tool.SOX.installed(), "datagen needs espeak-ng and sox");
        assertEquals(0, Main.run("datagen", "--size", "small", "--sets", "commands", "--engines", "espeak-ng", "--out", dir.toString()));
        Path set = dir.resolve("commands");
        Path model = train(set.resolve("train.jsonl"), set.resolve("val.jsonl"), dir.resolve("model"), "64", "2");
        Path test = set.resolve("test.jsonl");
        long rows = Files.readAllLines(test).stream().filter(l -> !l.isBlank()).count();
        Path out = dir.resolve("eval");
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString(), "--out", out.toString(),
                "--baselines", "--cache", Path.of("target", "vosk-cache").toString()));
        JsonNode eval = checkEvalJson(out, rows, true);
        assertTrue(eval.get("audio_seconds").asDouble() > 0.1 * rows);
        assertTrue(eval.get("systems").get(0).get("speed").asDouble() > 0, "real-time factor");
        JsonNode systems = eval.get("systems");
        assertEquals(5, systems.size(), systems.toString());   // ours, Vosk with a grammar and free, Sphinx4, pocketsphinx
        for (JsonNode s : systems) {
            if (!s.get("status").asText().equals("ran")) {
                assertTrue(s.get("status").asText().startsWith("not available: "), s.toString());
                continue;
            }
            double accuracy = s.get("accuracy").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, s.get("system") + " accuracy " + accuracy);
            assertEquals(rows, s.get("confusion_total").asLong());
            assertTrue(s.get("speed").asDouble() > 0, s.get("system") + " real-time factor");
        }
    }

    @Test
    void evaluatesAStreamingTranscriberHopByHopOverWholeClips(@TempDir Path dir) throws Exception {
        // an untrained streaming transcriber that reads 8 positions (0.32 s) at once: a clip of 2-4 beeps is longer
        Path test = TrainCommandTest.audioManifest(dir, "test.jsonl", 3, 4, true), model = dir.resolve("model");
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        java.util.Arrays.fill(mean, -8f);
        java.util.Arrays.fill(std, 2f);
        ReformerConfig config = TaskModel.defaultConfig(64, false).toBuilder().localAttnChunkLength(8).lshAttnChunkLength(8).numBuckets(4)
                .isDecoder(true).hashSeed(3L).streamingContextLength(32).initializerRange(0.5).build();
        TaskModel.create(config, TaskModel.Task.TRANSCRIPTION, List.of("", "a", "b", "c"), TaskModel.SymbolUnit.CHARACTER,
                new TaskModel.Input(true, 8, features, 4, mean, std),
                new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(1)), 1).save(model);
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString()));
        JsonNode outputs = checkEvalJson(dev.reformer.eval.Evaluation.defaultOut(model, test), 4, false).get("systems").get(0).get("outputs");

        TaskModel loaded = TaskModel.load(model, DataType.FLOAT);
        dev.reformer.task.StreamingTranscription served = new dev.reformer.task.StreamingTranscription(loaded);
        List<dev.reformer.task.Manifest.Row> rows = dev.reformer.task.Manifest.read(test);
        for (int i = 0; i < rows.size(); i++) {
            float[][] frames = dev.reformer.task.AudioInput.frames(rows.get(i), features);
            assertTrue(frames.length / 4 > 8, "clip " + i + " is longer than the 8 positions the model reads at once");
            // the whole clip at once, as one hop: the same reading as the job's hops of 0.5 s
            String whole = served.step(served.newState(), frames).text();
            assertEquals(whole, outputs.get(i).asText(), "clip " + i + " read hop by hop, whole");
        }
        assertTrue(outputs.toString().matches(".*[abc].*"), "spread weights say something: " + outputs);
    }

    @Test
    void evaluatesATranscriber(@TempDir Path dir) throws Exception {
        // an untrained transcriber, saved as train saves one: the scores' sanity needs no skill
        Path test = TrainCommandTest.audioManifest(dir, "test.jsonl", 3, 6, true), model = dir.resolve("model");
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        java.util.Arrays.fill(std, 1f);
        ReformerConfig config = TaskModel.defaultConfig(128, false);
        TaskModel.create(config, TaskModel.Task.TRANSCRIPTION, List.of("", "a", "b", "c"), TaskModel.SymbolUnit.CHARACTER, new TaskModel.Input(true, 128, features, 2, mean, std),
                new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(1)), 1).save(model);
        assertEquals(0, Main.run("eval", "--model", model.toString(), "--manifest", test.toString(), "--batch-size", "4"));
        JsonNode ours = checkEvalJson(dev.reformer.eval.Evaluation.defaultOut(model, test), 6, false).get("systems").get(0);
        assertTrue(ours.get("cer").asDouble() >= 0 && ours.get("exact_accuracy").asDouble() <= 1, ours.toString());
        assertTrue(ours.get("reference_words").asDouble() == 6, "one word (a string of beeps) per clip: " + ours);
        // a transcriber's confusion matrix is over aligned words: every reference word once, plus insertions
        assertTrue(Files.isRegularFile(dev.reformer.eval.Evaluation.defaultOut(model, test).resolve("confusion.png")), "words said against words heard");
        assertTrue(ours.get("confusion_total").asLong() >= 6, ours.toString());
    }

    @Test
    void badInputGetsOneClearLineAndExitCode2(@TempDir Path dir) throws Exception {
        Path text = TrainCommandTest.manifest(dir, "train.jsonl", 1, 16);
        assertEquals(2, run("eval", "--model", dir.resolve("nowhere").toString(), "--manifest", text.toString()).code);
        assertTrue(lastError.contains("is not a directory"), lastError);

        Path audioModel = dir.resolve("audio");
        Path clips = TrainCommandTest.audioManifest(dir, "clips.jsonl", 1, 8, false);
        assertEquals(0, Main.run("train", "--train", clips.toString(), "--validation", clips.toString(), "--out", audioModel.toString(),
                "--epochs", "1", "--max-length", "64"));
        assertEquals(2, run("eval", "--model", audioModel.toString(), "--manifest", text.toString()).code);
        assertTrue(lastError.contains("holds text with labels, but the model was trained on audio with labels"), lastError);

        Path other = dir.resolve("other.jsonl");   // the beeps model knows a, b and c
        Files.writeString(other, Files.readString(clips).replace("\"label\": \"a\"", "\"label\": \"zz\""));
        assertEquals(2, run("eval", "--model", audioModel.toString(), "--manifest", other.toString()).code);
        assertTrue(lastError.contains("[zz]") && lastError.contains("does not know"), lastError);
    }

    // ------------------------------------------------------------------ helpers

    private static Path train(Path train, Path validation, Path out, String maxLength, String epochs) {
        assertEquals(0, Main.run("train", "--train", train.toString(), "--validation", validation.toString(), "--out", out.toString(),
                "--epochs", epochs, "--max-length", maxLength, "--patience", "2"));
        return out;
    }

    /** eval.json's numbers are sane, results.md is there, and for classification the confusion matrix adds up. */
    private static JsonNode checkEvalJson(Path out, long rows, boolean classification) throws Exception {
        JsonNode eval = new ObjectMapper().readTree(out.resolve("eval.json").toFile());
        assertEquals(rows, eval.get("rows").asLong());
        assertTrue(eval.get("nproc").asInt() >= 1);
        assertTrue(eval.get("command_line").toString().contains("eval"));
        JsonNode ours = eval.get("systems").get(0);
        assertEquals("Reformer (ours)", ours.get("system").asText());
        assertEquals(rows, ours.get("outputs").size());
        if (classification) {
            double accuracy = ours.get("accuracy").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
            long sum = 0;
            for (JsonNode row : ours.get("confusion")) for (JsonNode c : row) sum += c.asLong();
            assertEquals(rows, sum, "confusion matrix total");
            assertNotNull(ImageIO.read(out.resolve("confusion.png").toFile()));
        } else {
            assertTrue(ours.get("wer").asDouble() >= 0);
        }
        assertTrue(ours.get("speed").asDouble() > 0);
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("### ") && md.contains("| system | metric |"), md);
        return eval;
    }

    private String lastError = "";

    private record Run(int code) {}

    private Run run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(Main.run(args));
        } finally {
            System.setErr(saved);
            lastError = err.toString(StandardCharsets.UTF_8);
        }
    }
}
