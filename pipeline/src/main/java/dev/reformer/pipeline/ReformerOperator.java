package dev.reformer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.model.train.Example;
import dev.reformer.task.TaskModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Runs the model on windows, many streams' windows in one padded forward pass: a window waits until the batch
 * holds batchSize windows or its deadline passes. Waiting windows are operator state, so a checkpoint taken
 * while they wait carries them and none is lost on failure. Emits one JSON result per window.
 */
public class ReformerOperator extends KeyedProcessFunction<String, Window, String> implements CheckpointedFunction {

    private final JobSettings settings;

    private transient TaskModel audioModel, textModel;
    private transient String audioVersion, textVersion;
    private transient List<Window> pending;
    private transient long deadline;
    private transient ListState<Window> checkpointedPending;
    private transient Counter windows;
    private transient Histogram batchSizes, inferenceMillis, endToEndMillis;

    public ReformerOperator(JobSettings settings) {
        this.settings = settings;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointedPending = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-windows", Window.class));
        pending = new ArrayList<>();
        for (Window w : checkpointedPending.get()) pending.add(w);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointedPending.update(pending);
    }

    @Override
    public void open(OpenContext context) throws Exception {
        if (settings.audioModel() != null) {
            audioModel = TaskModel.load(Path.of(settings.audioModel()), DataType.FLOAT);
            audioVersion = version(Path.of(settings.audioModel()));
            if (audioModel.task() != TaskModel.Task.CLASSIFICATION) {
                throw new IllegalArgumentException(settings.audioModel() + " is a transcription model; this job serves"
                        + " classification models so far (transcription with stitched CTC windows is not built yet)");
            }
        }
        if (settings.textModel() != null) {
            textModel = TaskModel.load(Path.of(settings.textModel()), DataType.FLOAT);
            textVersion = version(Path.of(settings.textModel()));
            if (textModel.input().audio()) throw new IllegalArgumentException(settings.textModel() + " reads audio, not text");
        }
        var metrics = getRuntimeContext().getMetricGroup();
        windows = metrics.counter("windows");
        batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        inferenceMillis = metrics.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1000));
        endToEndMillis = metrics.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
    }

    /** The first 12 hex digits of the weights' SHA-256: names exactly which model produced a result. */
    static String version(Path dir) throws IOException {
        try (InputStream in = Files.newInputStream(dir.resolve("model.safetensors"))) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public void processElement(Window window, Context ctx, Collector<String> out) throws Exception {
        pending.add(window);
        long now = ctx.timerService().currentProcessingTime();
        if (pending.size() >= settings.batchSize() || (deadline > 0 && now >= deadline)) {
            flush(out);
        } else if (deadline == 0) {
            deadline = now + settings.batchDeadlineMs();
            ctx.timerService().registerProcessingTimeTimer(deadline);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
        if (!pending.isEmpty() && timestamp >= deadline) flush(out);
    }

    private void flush(Collector<String> out) {
        List<Window> batch = pending;
        pending = new ArrayList<>();
        deadline = 0;
        batchSizes.update(batch.size());
        long started = System.nanoTime();
        List<Window> audio = new ArrayList<>(), text = new ArrayList<>();
        for (Window w : batch) (w.kind == StreamEvent.TEXT ? text : audio).add(w);
        List<ObjectNode> results = new ArrayList<>();
        if (!audio.isEmpty()) results.addAll(classifyAudio(audio));
        if (!text.isEmpty()) results.addAll(classifyText(text));
        long inference = (System.nanoTime() - started) / 1_000_000;
        inferenceMillis.update(inference);
        long now = System.currentTimeMillis();
        for (ObjectNode r : results) {
            long latency = now - r.remove("source_timestamp").asLong();
            endToEndMillis.update(latency);
            r.put("latency_ms", latency);
            out.collect(r.toString());
        }
        windows.inc(batch.size());
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private List<ObjectNode> classifyAudio(List<Window> batch) {
        List<Window> usable = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        List<ObjectNode> results = new ArrayList<>();
        for (Window w : batch) {
            float[][] positions = audioModel.audioPositions(w.frameRows());
            if (positions.length == 0) {   // the stream ended and its last window was already reported: say it ended
                ObjectNode end = JSON.createObjectNode();
                end.put("stream", w.streamId).put("input", "audio").put("kind", "end").put("final", true).put("windows", w.index);
                end.put("source_timestamp", w.sourceTimestamp);
                results.add(end);
                continue;
            }
            usable.add(w);
            examples.add(Example.features(positions, 0));
        }
        if (examples.isEmpty()) return results;
        double[][] scores = audioModel.classify(examples);
        for (int i = 0; i < usable.size(); i++) {
            Window w = usable.get(i);
            ObjectNode r = result(w, audioModel, audioVersion, "audio", scores[i]);
            ObjectNode window = r.putObject("window");
            window.put("index", w.index).put("start_s", w.startFrame / 100.0).put("end_s", (w.endFrame + 1.5) / 100.0)
                    .put("start_frame", w.startFrame).put("end_frame", w.endFrame);
            r.put("final", w.last);
            results.add(r);
        }
        return results;
    }

    private List<ObjectNode> classifyText(List<Window> batch) {
        List<Example> examples = new ArrayList<>();
        for (Window w : batch) examples.add(Example.tokens(textModel.encodeText(new String(w.text, StandardCharsets.UTF_8)), 0));
        double[][] scores = textModel.classify(examples);
        List<ObjectNode> results = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            ObjectNode r = result(batch.get(i), textModel, textVersion, "text", scores[i]);
            if (batch.get(i).index >= 0) r.put("seq", batch.get(i).index);
            results.add(r);
        }
        return results;
    }

    private ObjectNode result(Window w, TaskModel model, String version, String input, double[] scores) {
        ObjectNode r = JSON.createObjectNode();
        int best = 0;
        for (int k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
        r.put("stream", w.streamId).put("input", input).put("kind", "label").put("label", model.labels().get(best))
                .put("confidence", scores[best]);
        ObjectNode byLabel = r.putObject("scores");
        for (int k = 0; k < scores.length; k++) byLabel.put(model.labels().get(k), scores[k]);
        r.putObject("model").put("name", Path.of(input.equals("audio") ? settings.audioModel() : settings.textModel()).getFileName().toString())
                .put("version", version);
        r.put("source_timestamp", w.sourceTimestamp);
        return r;
    }
}
