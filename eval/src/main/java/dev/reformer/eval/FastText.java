package dev.reformer.eval;

import dev.reformer.task.Manifest;
import dev.reformer.datagen.Tool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fastText baseline for text classification (Debian package fasttext): trained on the training manifest with a
 * few settings, the one best on the validation manifest kept, then scored on the evaluated manifest. Input lines are
 * {@code __label__L text} with the text's white space (newlines too) flattened to single spaces.
 */
public final class FastText {
    public static final Tool FASTTEXT = new Tool("fasttext", "fasttext", "the fastText baseline");
    /** Hashing buckets for word and character n-grams: the default 2M makes a 400 MB model. */
    private static final String BUCKETS = "200000";
    private static final long TRAIN_TIMEOUT_SECONDS = 1800;

    /** One training setting. minn = maxn = 0: no character n-grams. */
    public record Setting(int epoch, double learningRate, int wordNgrams, int minn, int maxn) {
        List<String> args() {
            return List.of("-epoch", Integer.toString(epoch), "-lr", Double.toString(learningRate), "-wordNgrams", Integer.toString(wordNgrams),
                    "-minn", Integer.toString(minn), "-maxn", Integer.toString(maxn), "-bucket", BUCKETS, "-thread", "1", "-seed", "1");
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "-epoch %d -lr %s -wordNgrams %d%s -bucket %s", epoch, learningRate, wordNgrams,
                    minn > 0 ? " -minn " + minn + " -maxn " + maxn : "", BUCKETS);
        }
    }

    /** The settings tried: 25 epochs, learning rate 0.5 or 1.0, word unigrams or bigrams, with or without character 2-5-grams. */
    public static final List<Setting> SETTINGS = List.of(
            new Setting(25, 0.5, 1, 0, 0), new Setting(25, 1.0, 1, 0, 0), new Setting(25, 0.5, 2, 0, 0), new Setting(25, 1.0, 2, 0, 0),
            new Setting(25, 0.5, 1, 2, 5), new Setting(25, 1.0, 1, 2, 5), new Setting(25, 0.5, 2, 2, 5), new Setting(25, 1.0, 2, 2, 5));

    /**
     * What came out: the setting chosen, every setting's validation accuracy, the predicted label of each evaluated row,
     * and the timed prediction pass (predictions per second of {@code fasttext predict} over the file, its process
     * start and model load included; one untimed pass before it).
     */
    public record Result(Setting chosen, Map<String, Double> validationAccuracy, List<String> predictions, double predictionsPerSecond) {}

    private FastText() {}

    public static Result run(List<Manifest.Row> train, List<Manifest.Row> validation, List<Manifest.Row> test, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path trainFile = write(workDir.resolve("train.txt"), train), validationFile = write(workDir.resolve("val.txt"), validation);
        Path testFile = write(workDir.resolve("test.txt"), test);
        Map<String, Double> tried = new LinkedHashMap<>();
        Setting best = null;
        double bestAccuracy = -1;
        for (Setting s : SETTINGS) {
            Path model = train(trainFile, workDir.resolve("candidate"), s);
            double accuracy = accuracy(validation, predict(model, validationFile));
            tried.put(s.toString(), accuracy);
            System.err.printf(Locale.ROOT, "fastText %s: validation accuracy %.4f%n", s, accuracy);
            if (accuracy > bestAccuracy) {
                bestAccuracy = accuracy;
                best = s;
                Files.move(model, workDir.resolve("best.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path model = workDir.resolve("best.bin");
        predict(model, testFile);   // warm-up: the file and the model in the page cache
        long started = System.nanoTime();
        List<String> predictions = predict(model, testFile);
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, String> labels = new java.util.HashMap<>();
        train.forEach(r -> labels.put(token(r.label()), r.label()));
        predictions = predictions.stream().map(p -> labels.getOrDefault(p, p)).toList();
        return new Result(best, tried, predictions, test.size() / seconds);
    }

    /** Share of rows whose label is the prediction at the same index. */
    public static double accuracy(List<Manifest.Row> rows, List<String> predictions) {
        int right = 0;
        for (int i = 0; i < rows.size(); i++) if (token(rows.get(i).label()).equals(token(predictions.get(i)))) right++;
        return rows.isEmpty() ? 0 : (double) right / rows.size();
    }

    /** A label as one fastText token (white space would end it). */
    static String token(String label) {
        return label.replaceAll("\\s", "_");
    }

    private static Path write(Path file, List<Manifest.Row> rows) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Manifest.Row r : rows) lines.add("__label__" + token(r.label()) + " " + r.text().replaceAll("\\s+", " ").strip());
        return Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static Path train(Path input, Path output, Setting s) throws IOException {
        List<String> command = new ArrayList<>(List.of(FASTTEXT.binary(), "supervised", "-input", input.toString(), "-output", output.toString(), "-verbose", "0"));
        command.addAll(s.args());
        Tool.run(command, null, TRAIN_TIMEOUT_SECONDS);
        return output.resolveSibling(output.getFileName() + ".bin");
    }

    /** Labels predicted for each line of the file, the __label__ prefix removed (labels with white space come back with '_'). */
    private static List<String> predict(Path model, Path file) throws IOException {
        String out = new String(Tool.run(List.of(FASTTEXT.binary(), "predict", model.toString(), file.toString()), null, TRAIN_TIMEOUT_SECONDS),
                StandardCharsets.UTF_8);
        List<String> labels = new ArrayList<>();
        for (String line : out.split("\n")) if (!line.isBlank()) labels.add(line.strip().replaceFirst("^__label__", ""));
        return labels;
    }
}
