package dev.reformer.eval;

import dev.reformer.task.Charts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.task.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code eval} writes: eval.json, results.md, confusion.png, the table it prints, and the section in --results. */
public final class EvalReport {
    private final Path model, manifest;
    private final Manifest.Kind kind;
    private final double audioSeconds;
    private final List<Outcome> outcomes;
    private final List<String> commandLine;
    private final Breakdown bySource, bySpeaker;

    public EvalReport(Path model, Path manifest, Manifest.Kind kind, double audioSeconds, List<Outcome> outcomes, List<String> commandLine,
               List<Manifest.Row> rows, List<String> truth) {
        this.bySource = Breakdown.of("source", rows.stream().map(r -> r.source() != null ? r.source() : "-").toList(), truth, outcomes, 1);
        this.bySpeaker = Breakdown.of("speaker", rows.stream().map(r -> r.voice() != null ? r.voice() : "-").toList(), truth, outcomes,
                Breakdown.MIN_ROWS_SHOWN);
        this.model = model;
        this.manifest = manifest;
        this.kind = kind;
        this.audioSeconds = audioSeconds;
        this.outcomes = List.copyOf(outcomes);
        this.commandLine = List.copyOf(commandLine);
    }

    public void write(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("model", model.toString()).put("manifest", manifest.toString()).put("kind", kind.name().toLowerCase(Locale.ROOT));
        root.putPOJO("command_line", commandLine);
        root.put("date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
        root.put("nproc", Runtime.getRuntime().availableProcessors());
        Outcome ours = outcomes.get(0);
        root.put("rows", ours.outputs().size());
        if (kind.audio) root.put("audio_seconds", audioSeconds);
        root.put("speed_unit", speedUnit());
        root.put("timing", "one untimed warm-up pass over the first batch, then every row once, timed; audio: from the WAV file"
                + " (decoding and features included) to the answer");
        ArrayNode systems = root.putArray("systems");
        for (Outcome o : outcomes) {
            ObjectNode s = systems.addObject().put("system", o.system());
            if (o.unavailable() != null) {
                s.put("status", o.unavailable());
                continue;
            }
            s.put("status", "ran");
            o.metrics().forEach(s::put);
            s.put("speed", o.speed());
            if (o.confusion() != null) {
                s.putPOJO("per_label_accuracy", o.confusion().perLabelAccuracy());
                s.putPOJO("labels", o.confusion().labels());
                s.putPOJO("confusion", o.confusion().counts());   // rows true, columns predicted
                s.put("confusion_total", o.confusion().total());
            }
            o.details().forEach(s::putPOJO);
            s.putPOJO("outputs", o.outputs());
        }
        root.putPOJO("by_source", bySource.asJson());
        root.putPOJO("by_speaker", bySpeaker.asJson());
        Files.writeString(dir.resolve("eval.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.writeString(dir.resolve("results.md"), section());
        if (ours.confusion() != null) {
            String title = kind == Manifest.Kind.AUDIO_TRANSCRIPT
                    ? String.format(Locale.ROOT, "%s on %s: words said (rows) and heard (columns) aligned, %s = none; WER %.4f",
                            model.getFileName(), manifest.getFileName(), dev.reformer.eval.Scores.NONE, ours.metrics().get("wer"))
                    : String.format(Locale.ROOT, "%s on %s: accuracy %.4f", model.getFileName(), manifest.getFileName(), ours.confusion().accuracy());
            Charts.confusionMatrix(dir.resolve("confusion.png"), title, ours.confusion().labels(), ours.confusion().counts());
        }
    }

    public void insertInto(Path results) throws IOException {
        ResultsSection.insertOrReplace(results, section());
    }

    public String section() {
        List<ResultsSection.Row> rows = new ArrayList<>();
        for (Outcome o : outcomes) rows.add(new ResultsSection.Row(o.system(), o.unavailable() != null ? o.unavailable() : metric(o), speed(o)));
        String note = String.format(Locale.ROOT, "%d rows (%s%s), %s; %d cores. Timed after one warm-up batch; `./reformer eval` wrote this.",
                outcomes.get(0).outputs().size(), kind.description, kind.audio ? String.format(Locale.ROOT, ", %.1f s of audio", audioSeconds) : "",
                OffsetDateTime.now(ZoneOffset.UTC).toLocalDate(), Runtime.getRuntime().availableProcessors());
        String breakdowns = bySource.groups() > 1 || bySpeaker.groups() > 1 ? bySource.markdown() + bySpeaker.markdown() : "";
        return ResultsSection.markdown(model.toString(), manifest.toString(), note, speedUnit(), rows, breakdowns);
    }

    /** The printed table: one line per system. */
    public String table() {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%-24s %-44s %s%n", "system", "metric", speedUnit()));
        for (Outcome o : outcomes) {
            t.append(String.format(Locale.ROOT, "%-24s %-44s %s%n", o.system(), o.unavailable() != null ? o.unavailable() : metric(o), speed(o)));
        }
        return t.toString();
    }

    private String speedUnit() {
        return kind.audio ? "real-time factor" : "examples/s";
    }

    private static String metric(Outcome o) {
        Map<String, Double> m = o.metrics();
        if (m.containsKey("accuracy")) return String.format(Locale.ROOT, "accuracy %.4f", m.get("accuracy"));
        return String.format(Locale.ROOT, "WER %.4f, CER %.4f, exact %.4f", m.get("wer"), m.get("cer"), m.get("exact_accuracy"));
    }

    private String speed(Outcome o) {
        if (o.unavailable() != null) return "-";
        return kind.audio ? String.format(Locale.ROOT, "%.1fx", o.speed()) : String.format(Locale.ROOT, "%.1f", o.speed());
    }
}
