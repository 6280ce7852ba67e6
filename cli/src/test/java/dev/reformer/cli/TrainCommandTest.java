package dev.reformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.model.io.SafeTensors;
import dev.reformer.task.TaskModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("slow")   // trains models end to end (about a minute): mvn verify (failsafe), not mvn test
public class TrainCommandTest {

    /** A 16-bit mono WAV of the given samples, written by hand. */
    public static void wav(Path file, float[] samples, int rate) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + 2 * samples.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * samples.length).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(2 * samples.length);
        for (float x : samples) b.putShort((short) Math.round(Math.max(-1, Math.min(1, x)) * 32767));
        Files.write(file, b.array());
    }

    /** Beeps: symbol a, b or c is a 150 ms tone at 500, 1200 or 2800 Hz, 60-120 ms of quiet between, over light noise. */
    public static float[] beeps(String symbols, int rate, Random random) {
        List<Float> x = new ArrayList<>();
        for (int q = 0; q < rate / 10; q++) x.add((float) (0.003 * random.nextGaussian()));
        for (char c : symbols.toCharArray()) {
            double hz = c == 'a' ? 500 : c == 'b' ? 1200 : 2800, amplitude = 0.2 + 0.3 * random.nextDouble();
            for (int n = 0; n < rate * 15 / 100; n++) x.add((float) (amplitude * Math.sin(2 * Math.PI * hz * n / rate) + 0.003 * random.nextGaussian()));
            for (int q = 0, gap = rate * (6 + random.nextInt(7)) / 100; q < gap; q++) x.add((float) (0.003 * random.nextGaussian()));
        }
        float[] out = new float[x.size()];
        for (int i = 0; i < out.length; i++) out[i] = x.get(i);
        return out;
    }

    /** Audio manifests: each line a WAV of beeps, labelled by the one beep it repeats, or transcribed. */
    public static Path audioManifest(Path dir, String name, long seed, int n, boolean transcripts) throws Exception {
        return audioManifest(dir, name, seed, n, transcripts, false);
    }

    /** words: transcripts name each beep by a word (alpha bravo charlie), separated by spaces. */
    public static Path audioManifest(Path dir, String name, long seed, int n, boolean transcripts, boolean words) throws Exception {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        Files.createDirectories(dir.resolve("clips"));
        for (int i = 0; i < n; i++) {
            StringBuilder symbols = new StringBuilder();
            char only = "abc".charAt(random.nextInt(3));   // a classified clip repeats one beep 1-2 times
            for (int k = 0, length = transcripts ? 2 + random.nextInt(3) : 1 + random.nextInt(2); k < length; k++) {
                symbols.append(transcripts ? "abc".charAt(random.nextInt(3)) : only);
            }
            int rate = random.nextBoolean() ? 16000 : 22050;   // the front-end resamples
            String clip = "clips/" + name + "-" + i + ".wav";
            wav(dir.resolve(clip), beeps(symbols.toString(), rate, random), rate);
            String text = words ? String.join(" ", symbols.chars().mapToObj(c -> List.of("alpha", "bravo", "charlie").get(c - 'a')).toList())
                    : symbols.toString();
            lines.add(transcripts ? "{\"audio\": \"" + clip + "\", \"text\": \"" + text + "\"}"
                    : "{\"audio\": \"" + clip + "\", \"label\": \"" + symbols.charAt(0) + "\"}");
        }
        Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    @Test
    void trainsAnAudioClassifierAndATranscriberThatReloadAndPredict(@TempDir Path dir) throws Exception {
        for (String mode : List.of("cls", "ctc", "ctc-words")) {
            boolean transcripts = !mode.equals("cls"), words = mode.equals("ctc-words");
            Path data = dir.resolve(mode);
            Path train = audioManifest(data, "train.jsonl", 1, transcripts ? 96 : 48, transcripts, words);
            Path validation = audioManifest(data, "val.jsonl", 2, 16, transcripts, words);
            Path out = data.resolve("model");
            List<String> args = new ArrayList<>(List.of("train", "--train", train.toString(), "--validation", validation.toString(), "--out", out.toString(),
                    "--epochs", transcripts ? "12" : "4", "--max-length", "128", "--frame-stack", "2", "--learning-rate", "1e-2",
                    "--warmup-steps", "5", "--patience", "12", "--symbols", words ? "words" : "characters"));
            if (!transcripts) args.add("--voice-augment");   // beeps at 500, 1200 and 2800 Hz stay apart when stretched by 15 %
            assertEquals(0, Main.run(args.toArray(String[]::new)));
            JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
            double best = metrics.get("best_validation_accuracy").asDouble();
            assertTrue(best >= 0.9, (transcripts ? "1 - CER " : "accuracy ") + best + ": " + metrics);

            // the shipped directory reloads and gives the validation score again, through the same input path
            dev.reformer.task.TaskModel model = dev.reformer.task.TaskModel.load(out, org.nd4j.linalg.api.buffer.DataType.FLOAT);
            assertEquals(transcripts ? dev.reformer.task.TaskModel.Task.TRANSCRIPTION : dev.reformer.task.TaskModel.Task.CLASSIFICATION, model.task());
            if (words) assertEquals(List.of("", "alpha", "bravo", "charlie"), model.labels());   // one symbol per word, spelt with spaces
            List<String> lines = Files.readAllLines(validation);
            int right = 0;
            for (String line : lines) {
                JsonNode row = new ObjectMapper().readTree(line);
                float[][] frames = dev.reformer.audio.StreamingFeatureExtractor.extractAll(model.input().features(),
                        dev.reformer.audio.PcmDecoder.wav(), Files.readAllBytes(data.resolve(row.get("audio").asText()))).frames();
                float[][] positions = model.audioPositions(frames);
                if (transcripts) {
                    String heard = model.transcribe(List.of(dev.reformer.model.train.Example.transcript(positions, new int[]{1}))).get(0).text();
                    if (heard.equals(row.get("text").asText())) right++;
                } else {
                    double[] p = model.classify(List.of(dev.reformer.model.train.Example.features(positions, 0)))[0];
                    int argmax = 0;
                    for (int k = 1; k < p.length; k++) if (p[k] > p[argmax]) argmax = k;
                    if (model.labels().get(argmax).equals(row.get("label").asText())) right++;
                }
            }
            assertTrue(right >= lines.size() * 3 / 4, "reloaded model: " + right + " of " + lines.size() + " right");
        }
    }

    @Test
    void fineTuningStartsFromTheGivenModelsWeightsAndSettings(@TempDir Path dir) throws Exception {
        Path train = audioManifest(dir, "train.jsonl", 1, 48, false), validation = audioManifest(dir, "val.jsonl", 2, 16, false);
        Path base = dir.resolve("base"), tuned = dir.resolve("tuned");
        assertEquals(0, Main.run("train", "--train", train.toString(), "--validation", validation.toString(), "--out", base.toString(),
                "--epochs", "3", "--max-length", "128", "--frame-stack", "2", "--learning-rate", "1e-2", "--warmup-steps", "5", "--centre"));
        // a learning rate of almost nothing: the tuned model must be the base model, settings and weights
        assertEquals(0, Main.run("train", "--init", base.toString(), "--train", train.toString() + "," + validation, "--validation",
                validation.toString(), "--out", tuned.toString(), "--epochs", "1", "--learning-rate", "1e-12", "--max-length", "512"));
        dev.reformer.task.TaskModel a = dev.reformer.task.TaskModel.load(base, org.nd4j.linalg.api.buffer.DataType.FLOAT);
        dev.reformer.task.TaskModel b = dev.reformer.task.TaskModel.load(tuned, org.nd4j.linalg.api.buffer.DataType.FLOAT);
        assertEquals(a.labels(), b.labels());
        assertEquals(128, b.input().maxLength(), "--max-length is the base model's");
        assertEquals(2, b.input().stack());
        assertTrue(b.input().centred());
        org.junit.jupiter.api.Assertions.assertArrayEquals(a.input().std(), b.input().std());
        for (var e : a.trainable().params().entrySet()) {
            double diff = e.getValue().sub(b.trainable().params().get(e.getKey())).amaxNumber().doubleValue();
            assertTrue(diff < 1e-4, e.getKey() + " moved by " + diff);
        }
        assertEquals(2, Main.run("train", "--init", base.toString(), "--task", "transcription", "--train", train.toString(), "--validation",
                validation.toString(), "--out", dir.resolve("bad").toString()), "a classifier cannot be fine-tuned into a transcriber");
        assertEquals(2, Main.run("train", "--init", dir.resolve("nowhere").toString(), "--train", train.toString(), "--validation",
                validation.toString(), "--out", dir.resolve("bad").toString()));
    }

    public static Path manifest(Path dir, String name, long seed, int n) throws Exception {
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
    void aTextModelWithHashedNgramsLearnsAWordAndReloads(@TempDir Path dir) throws Exception {
        Path train = manifest(dir, "train.jsonl", 1, 96), validation = manifest(dir, "val.jsonl", 2, 32);
        Path out = dir.resolve("model");
        assertEquals(0, Main.run("train", "--train", train.toString(), "--validation", validation.toString(), "--out", out.toString(),
                "--epochs", "6", "--max-length", "64", "--bytes-per-position", "4", "--ngram-buckets", "4096"));
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(4096, config.get("reformer_flink").get("input").get("ngram_buckets").asInt());
        TaskModel model = TaskModel.load(out, DataType.FLOAT);
        assertEquals(4096, model.input().ngramBuckets());
        assertArrayEquals(new long[]{4096, model.config().hiddenSize()},
                SafeTensors.read(out.resolve("model.safetensors")).get(dev.reformer.model.train.Encoder.NGRAM_TABLE).shape());
        int right = 0;
        List<String> lines = Files.readAllLines(validation);
        for (String line : lines) {
            JsonNode row = new ObjectMapper().readTree(line);
            double[] p = model.classify(List.of(dev.reformer.model.train.Example.tokens(model.encodeText(row.get("text").asText()), 0)))[0];
            String predicted = model.labels().get(p[0] >= p[1] ? 0 : 1);
            if (predicted.equals(row.get("label").asText())) right++;
        }
        assertTrue(right >= lines.size() * 9 / 10, "reloaded model: " + right + " of " + lines.size() + " right");
        // the served model reads the table: the same model with it zeroed answers differently
        Path zeroed = dir.resolve("zeroed");
        Files.createDirectories(zeroed);
        Files.copy(out.resolve("config.json"), zeroed.resolve("config.json"));
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> tensors = new java.util.LinkedHashMap<>(SafeTensors.read(out.resolve("model.safetensors")));
        tensors.get(dev.reformer.model.train.Encoder.NGRAM_TABLE).assign(0);
        SafeTensors.write(zeroed.resolve("model.safetensors"), tensors, java.util.Map.of());
        TaskModel withoutNgrams = TaskModel.load(zeroed, DataType.FLOAT);
        String text = new ObjectMapper().readTree(lines.get(0)).get("text").asText();
        double[] p = model.classify(List.of(dev.reformer.model.train.Example.tokens(model.encodeText(text), 0)))[0];
        double[] q = withoutNgrams.classify(List.of(dev.reformer.model.train.Example.tokens(withoutNgrams.encodeText(text), 0)))[0];
        assertTrue(Math.abs(p[0] - q[0]) > 1e-4, "with the table " + p[0] + ", without " + q[0]);
        // resuming its checkpoint without the n-grams is refused rather than dropping the table
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(2, Main.run("train", "--train", train.toString(), "--validation", validation.toString(), "--out", out.toString(),
                    "--epochs", "7", "--max-length", "64", "--bytes-per-position", "4"));
        } finally {
            System.setErr(before);
        }
        assertTrue(err.toString(java.nio.charset.StandardCharsets.UTF_8).contains(dev.reformer.model.train.Encoder.NGRAM_TABLE), err.toString());
        assertEquals(2, Main.run("train", "--train", train.toString(), "--validation", validation.toString(), "--out", dir.resolve("bad").toString(),
                "--ngram-buckets", "-1"));
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
        Path mixed = dir.resolve("mixed.jsonl");
        Files.writeString(mixed, "{\"text\": \"fine\", \"label\": \"a\"}\n{\"audio\": \"a.wav\", \"label\": \"yes\"}\n");
        assertEquals(2, Main.run("train", "--train", mixed.toString(), "--validation", good.toString(), "--out", dir.resolve("m").toString()));
        assertEquals(2, Main.run("train", "--train", good.toString(), "--validation", good.toString(), "--out", dir.resolve("m").toString(),
                "--spec-augment"), "SpecAugment masks audio features, not text");
        assertEquals(2, Main.run("train", "--train", good.toString(), "--validation", good.toString(), "--out", dir.resolve("m").toString(),
                "--voice-augment"), "the voice perturbation stretches log-mel spectra, not text");
        Path missing = dir.resolve("missing.jsonl");
        Files.writeString(missing, "{\"audio\": \"nowhere.wav\", \"label\": \"yes\"}\n{\"audio\": \"nowhere.wav\", \"label\": \"no\"}\n");
        assertEquals(2, Main.run("train", "--train", missing.toString(), "--validation", missing.toString(), "--out", dir.resolve("m").toString()));
    }
}
