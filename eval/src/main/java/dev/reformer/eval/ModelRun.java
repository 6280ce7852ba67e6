package dev.reformer.eval;

import dev.reformer.task.AudioInput;

import dev.reformer.task.Manifest;
import dev.reformer.task.Progress;
import dev.reformer.model.train.Example;
import dev.reformer.task.StreamingTranscription;
import dev.reformer.task.TaskModel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Our model over a manifest's rows in batches, timed: one untimed warm-up pass over the first batch (ND4J's
 * workspaces and kernels, the JIT), then every row once, timed from reading the WAV file (decoding, front-end,
 * positions) or the text (UTF-8 bytes) to the label or transcript.
 */
public final class ModelRun {
    /** Outputs per row (labels or transcripts), and the wall time of the timed pass in seconds. */
    public record Result(List<String> outputs, double seconds) {}

    private ModelRun() {}

    public static Result run(TaskModel model, List<Manifest.Row> rows, int batchSize) throws IOException {
        predict(model, rows.subList(0, Math.min(batchSize, rows.size())));
        Progress progress = new Progress("our model", rows.size());
        List<String> outputs = new ArrayList<>();
        long started = System.nanoTime();
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<Manifest.Row> batch = rows.subList(from, Math.min(rows.size(), from + batchSize));
            outputs.addAll(predict(model, batch));
            batch.forEach(r -> progress.step());
        }
        return new Result(outputs, (System.nanoTime() - started) / 1e9);
    }

    /** The label (classification) or transcript of each row. */
    public static List<String> predict(TaskModel model, List<Manifest.Row> rows) throws IOException {
        if (model.config().isStreaming()) return streamed(model, rows);
        List<Example> examples = new ArrayList<>();
        for (Manifest.Row row : rows) {
            if (!model.input().audio()) {
                examples.add(Example.tokens(model.encodeText(row.text()), 0));
                continue;
            }
            float[][] positions = AudioInput.positions(row, AudioInput.frames(row, model.input().features()), model);
            examples.add(model.task() == TaskModel.Task.CLASSIFICATION ? Example.features(positions, 0)
                    : Example.transcript(positions, new int[]{1}));
        }
        List<String> out = new ArrayList<>();
        if (model.task() == TaskModel.Task.TRANSCRIPTION) {
            model.transcribe(examples).forEach(t -> out.add(t.text()));
            return out;
        }
        for (double[] p : model.classify(examples)) {
            int best = 0;
            for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
            out.add(model.labels().get(best));
        }
        return out;
    }

    /** The job's hop for a streaming model: its default --hop-frames. */
    static final int STREAMING_HOP_FRAMES = 50;

    /**
     * A streaming transcriber reads each clip as the job serves a stream: hop by hop, each clip from a fresh cache, the
     * whole clip however long (no cut to max_length: the cache, not a window, bounds what it sees).
     */
    private static List<String> streamed(TaskModel model, List<Manifest.Row> rows) throws IOException {
        StreamingTranscription served = new StreamingTranscription(model);
        List<String> out = new ArrayList<>();
        for (Manifest.Row row : rows) {
            float[][] frames = AudioInput.frames(row, model.input().features());
            StreamingTranscription.State state = served.newState();
            List<Integer> symbols = new ArrayList<>();
            for (int at = 0; at < frames.length; at += STREAMING_HOP_FRAMES) {
                for (int s : served.step(state, Arrays.copyOfRange(frames, at, Math.min(frames.length, at + STREAMING_HOP_FRAMES))).symbols()) symbols.add(s);
            }
            out.add(model.spell(symbols.stream().mapToInt(Integer::intValue).toArray()));
        }
        return out;
    }
}
