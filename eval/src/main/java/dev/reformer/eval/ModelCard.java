package dev.reformer.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.task.TaskModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A model's card, README.md in its directory: what it does and reads, the data and the exact command that trained it,
 * the time it took, its curves, and one section per held-out evaluation ({@code eval --card}). The part above the
 * evaluations is rewritten from metrics.json and config.json each time; the evaluations are kept and replaced by
 * model and manifest, as in docs/RESULTS.md.
 */
public final class ModelCard {
    public static final String FILE = "README.md";
    private static final String EVALUATIONS = "## Held-out evaluations";

    private ModelCard() {}

    /** Rewrites the card's header and puts the evaluation section in (replacing one of the same model and manifest). */
    public static void update(Path modelDir, TaskModel model, String evaluationSection, Path evalDir) throws IOException {
        Path card = modelDir.resolve(FILE);
        String old = Files.isRegularFile(card) ? Files.readString(card, StandardCharsets.UTF_8) : "";
        int at = old.indexOf(EVALUATIONS);
        String evaluations = at < 0 ? "" : old.substring(at + EVALUATIONS.length()).strip();
        Files.writeString(card, header(modelDir, model) + "\n" + EVALUATIONS + "\n\n" + (evaluations.isEmpty() ? "" : evaluations + "\n"),
                StandardCharsets.UTF_8);
        String section = evaluationSection;
        if (Files.isRegularFile(evalDir.resolve("confusion.png"))) {
            String link = modelDir.toAbsolutePath().normalize().relativize(evalDir.toAbsolutePath().normalize().resolve("confusion.png")).toString();
            section = section.replace("<!-- end reformer eval -->", "\n![confusion matrix](" + link + ")\n<!-- end reformer eval -->");
        }
        ResultsSection.insertOrReplace(card, section);
    }

    public static String header(Path modelDir, TaskModel model) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path metricsFile = modelDir.resolve("metrics.json");
        JsonNode metrics = Files.isRegularFile(metricsFile) ? json.readTree(metricsFile.toFile()) : json.createObjectNode();
        StringBuilder md = new StringBuilder("# Model card: ").append(modelDir.getFileName()).append("\n\n");
        boolean classification = model.task() == TaskModel.Task.CLASSIFICATION;
        TaskModel.Input in = model.input();
        md.append(classification ? "Classifies " : "Transcribes ").append(in.audio() ? "audio" : "text").append(" with a Reformer (")
                .append(describe(model)).append(").\n\n");
        List<String> names = new ArrayList<>(classification ? model.labels() : model.labels().subList(1, model.labels().size()));
        md.append(classification ? "Labels: " : "Symbols (" + model.symbolUnit().name().toLowerCase(Locale.ROOT) + "s, plus the CTC blank): ")
                .append(String.join(", ", names)).append(".\n\n");
        md.append("Input: ").append(in.audio()
                ? String.format(Locale.ROOT, "16 kHz audio, %d log-mel bands every 10 ms, %d frames per position (%d ms), ", in.features().dimension(),
                        in.stack(), in.stack() * 10) + (model.config().isStreaming()
                        ? String.format(Locale.ROOT, "read as a stream: each hop once, against a cache of the last %d positions (%.1f s) of the stream",
                                model.config().streamingContextLength(), model.config().streamingContextLength() * in.stack() / 100.0)
                        : String.format(Locale.ROOT, "at most %d positions (%.2f s) per window", in.maxLength(), in.maxLength() * in.stack() / 100.0))
                        + (in.centred() ? "; each band's mean over the clip or window is subtracted first (per-utterance mean normalisation)" : "")
                : String.format(Locale.ROOT, "UTF-8 bytes, %d per position, at most %d positions (the first %d bytes of a text)%s",
                        in.stack(), in.maxLength(), in.maxBytes(), in.ngramBuckets() == 0 ? ""
                                : String.format(Locale.ROOT, "; each position also adds a learnt vector for each character 3- and 4-gram,"
                                        + " word and word pair ending in its bytes, hashed into %,d buckets", in.ngramBuckets()))).append(".\n\n");
        long weights = Files.size(modelDir.resolve("model.safetensors"));
        md.append(String.format(Locale.ROOT, "Files: config.json, model.safetensors (%.2f MB, %,d parameters in float32).%n%n",
                weights / 1e6, model.trainable().params().values().stream().mapToLong(t -> t.length()).sum()));
        md.append("## Training\n\n");
        if (metrics.has("command")) {
            md.append("Data: `./reformer datagen` (see [pipeline/README.md](../../pipeline/README.md#data-sets-reformer-datagen-and-package-devreformerdata)"
                    + " and [docs/RESULTS.md](../../docs/RESULTS.md) for the exact data command). Trained with:\n\n```\n")
                    .append(metrics.get("command").asText()).append("\n```\n\n");
            md.append(String.format(Locale.ROOT, "Took %.1f min on %d cores (OMP_NUM_THREADS=%s); best validation %s %.4f at epoch %d of %d.%n%n",
                    metrics.path("training_seconds").asDouble() / 60, metrics.path("threads").asInt(), metrics.path("omp_num_threads").asText(),
                    metrics.path("validation_accuracy_means").asText("score"), metrics.path("best_validation_accuracy").asDouble(),
                    metrics.path("best_epoch").asInt(), metrics.path("epochs").size()));
            if (metrics.has("note")) md.append("Note: ").append(metrics.get("note").asText()).append(".\n\n");
        }
        md.append("![loss](loss.png) ![validation score](accuracy.png)\n");
        return md.toString();
    }

    private static String describe(TaskModel model) {
        var c = model.config();
        return String.format(Locale.ROOT, "%d layers %s, hidden size %d, %d heads of %d, feed-forward %d, chunks of %d",
                c.numHiddenLayers(), c.attnLayers(), c.hiddenSize(), c.numAttentionHeads(), c.attentionHeadSize(), c.feedForwardSize(),
                c.lshAttnChunkLength());
    }
}
