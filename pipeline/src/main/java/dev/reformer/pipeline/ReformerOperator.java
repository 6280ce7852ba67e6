package dev.reformer.pipeline;

import dev.reformer.model.layers.KernelThreads;
import dev.reformer.model.train.Example;
import dev.reformer.pipeline.ModelControl.ModelRef;
import dev.reformer.pipeline.ModelControl.Served;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Stage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import dev.reformer.protocol.ResultMessage.WindowSpan;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the model on windows, many streams' windows in one padded forward pass: a window waits until the batch
 * holds batchSize windows or its deadline passes. Waiting windows are operator state, so a checkpoint taken
 * while they wait carries them and none is lost on failure. Emits one JSON result per window.
 *
 * Models are swapped by control messages, broadcast to every instance: the message is checked (fields, file,
 * SHA-256) and the model loaded before anything changes; windows waiting are flushed with the old model, later
 * ones use the new one, and every result names the model's version. A refused message is a dead letter (from
 * instance 0 only, so it is reported once) and the old model keeps serving. The broadcast state holds the
 * current references, so a restored job serves the models it served before.
 */
public class ReformerOperator extends KeyedBroadcastProcessFunction<String, Window, RawRecord, Result> implements CheckpointedFunction {
    public static final MapStateDescriptor<String, ModelRef> MODELS = new MapStateDescriptor<>("models", String.class, ModelRef.class);
    public static final OutputTag<DeadLetter> CONTROL_DEAD_LETTERS = new OutputTag<>("control-dead-letters") {};
    /** Transcription models' readings of windows, for the streams' {@link TranscriptStitcher}s. */
    public static final OutputTag<Decoded> TRANSCRIBED = new OutputTag<>("transcribed") {};
    private static final Logger LOG = LoggerFactory.getLogger(ReformerOperator.class);
    private static final String AUDIO = Input.AUDIO.code(), TEXT = Input.TEXT.code();

    /**
     * A result on its way out: the exact stream id (the message names the stream for people), the Kafka timestamp latency counts
     * from, and for labels how long the window queued for its batch (null otherwise).
     */
    private record Answer(String streamId, long sourceTimestamp, Long queuedMs, ResultMessage message) {}

    private final JobSettings settings;
    private final ModelControl.Feeding feeding;

    private transient Map<String, Served> served;
    /** Checkpointed models that could not be loaded again: tried once, not before every window. */
    private transient java.util.Set<ModelRef> unloadable;
    private transient List<Window> pending;
    private transient long deadline;
    private transient ListState<Window> checkpointedPending;
    private transient Counter windows;
    private transient Histogram batchSizes, inferenceMillis, endToEndMillis;
    /** Streaming transcribers: each stream's cache of its past, in keyed state. */
    private transient StreamingHops hops;

    /** feeding: what the job gives the models (a swapped-in model must read exactly that). */
    public ReformerOperator(JobSettings settings, ModelControl.Feeding feeding) {
        this.settings = settings;
        this.feeding = feeding;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointedPending = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-windows", Window.class));
        pending = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Window w : checkpointedPending.get()) {
            w.arrivedAt = now;
            pending.add(w);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointedPending.update(pending);
    }

    @Override
    public void open(OpenContext context) throws Exception {
        served = new HashMap<>();
        unloadable = new java.util.HashSet<>();
        if (settings.audioModel() != null) served.put(AUDIO, ModelControl.load(ModelControl.reference(AUDIO, settings.audioModel())));
        if (settings.textModel() != null) served.put(TEXT, ModelControl.load(ModelControl.reference(TEXT, settings.textModel())));
        var metrics = getRuntimeContext().getMetricGroup();
        windows = metrics.counter("windows");
        metrics.meter("windowsPerSecond", new MeterView(windows));
        batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        inferenceMillis = metrics.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1000));
        endToEndMillis = metrics.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
        hops = new StreamingHops();
        hops.open(getRuntimeContext(), java.time.Duration.ofMillis(Math.max(60_000, 10 * settings.idleTimeoutMs())));
    }

    @Override
    public void processBroadcastElement(RawRecord control, Context ctx, Collector<Result> out) throws Exception {
        boolean reporter = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
        try {
            ModelRef ref = ModelControl.parse(control.value);
            Served next = loadFitting(ref);
            if (!pending.isEmpty()) flush(out, ctx::output);   // what waited was meant for the old model
            served.put(ref.input(), next);
            ctx.getBroadcastState(MODELS).put(ref.input(), ref);
            LOG.info("model swap accepted: now serving {} ({}) for {} input, version {}", ref.name(), ref.path(), ref.input(), ref.version());
        } catch (ModelControl.Rejected e) {
            refuseSwap(e.reason, e.getMessage(), control, reporter, ctx);
        } catch (RuntimeException e) {   // whatever else a model does wrong costs its swap, not a restart
            refuseSwap(DeadLetterReason.MODEL_FAILED, "the control message or its model failed: " + e, control, reporter, ctx);
        }
    }

    private void refuseSwap(DeadLetterReason reason, String why, RawRecord control, boolean reporter, Context ctx) {
        LOG.warn("model swap refused ({}): {}; the current model keeps serving", reason, why);
        if (reporter) ctx.output(CONTROL_DEAD_LETTERS, DeadLetter.of(reason, why, Stage.MODEL_CONTROL, control));
    }

    /**
     * Loads a model, checks that it reads what the job feeds it, and runs it once on a made-up window: a model that
     * would fail on the first real window is refused here, while the running one keeps serving.
     */
    private Served loadFitting(ModelRef ref) throws ModelControl.Rejected {
        Served next = ModelControl.load(ref);
        feeding.check(next);
        try {
            KernelThreads.callingThreadOnly(() -> {
                TaskModel m = next.model();
                if (!m.input().audio()) return m.classify(List.of(Example.tokens(m.encodeText("probe"), 0)));
                float[][] positions = m.audioPositions(new float[settings.windowFrames()][feeding.features().dimension()]);
                Example probe = m.task() == TaskModel.Task.TRANSCRIPTION ? Example.transcript(positions, new int[]{1}) : Example.features(positions, 0);
                return m.task() == TaskModel.Task.TRANSCRIPTION ? m.transcribe(List.of(probe)) : m.classify(List.of(probe));
            });
        } catch (RuntimeException e) {
            throw new ModelControl.Rejected(DeadLetterReason.MODEL_FAILED, ref.path() + " loaded but failed on a trial window (" + e
                    + "); the running model keeps serving");
        }
        return next;
    }

    /** After a restore, the broadcast state names the models to serve; load them if they are not the ones loaded. */
    private void followBroadcastState(ReadOnlyBroadcastState<String, ModelRef> models) throws Exception {
        for (var e : models.immutableEntries()) {
            Served current = served.get(e.getKey());
            // the whole reference: a swap that changed config.json only has the same weights but is another model
            if ((current == null || !current.ref().equals(e.getValue())) && !unloadable.contains(e.getValue())) {
                try {
                    served.put(e.getKey(), loadFitting(e.getValue()));
                    LOG.info("serving {} for {} input again, as the checkpoint says (version {})", e.getValue().path(), e.getKey(), e.getValue().version());
                } catch (ModelControl.Rejected r) {
                    unloadable.add(e.getValue());
                    LOG.warn("the checkpointed model {} cannot be loaded any more ({}); keeping {}", e.getValue().path(),
                            r.getMessage(), current == null ? "none" : current.ref().path());
                }
            }
        }
    }

    @Override
    public void processElement(Window window, ReadOnlyContext ctx, Collector<Result> out) throws Exception {
        followBroadcastState(ctx.getBroadcastState(MODELS));
        if (window.kind != StreamEvent.TEXT && StreamingHops.serves(served.get(AUDIO))) { // a hop: read at once, against the stream's cache
            try {
                ctx.output(TRANSCRIBED, KernelThreads.callingThreadOnly(() -> hops.hop(window, served.get(AUDIO))));
            } catch (RuntimeException e) {
                LOG.warn("the model failed on hop {} of stream {}: {}", window.index, StreamKeys.display(window.streamId), e.toString());
                ctx.output(CONTROL_DEAD_LETTERS, inferenceFailed(window, e));
            }
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        window.arrivedAt = System.currentTimeMillis();   // the clock of batchStarted and of latency_ms
        pending.add(window);
        if (pending.size() >= settings.batchSize() || (deadline > 0 && now >= deadline)) {
            flush(out, ctx::output);
        } else if (deadline == 0) {
            deadline = now + settings.batchDeadlineMs();
            ctx.timerService().registerProcessingTimeTimer(deadline);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Result> out) throws Exception {
        if (!pending.isEmpty() && timestamp >= deadline) flush(out, ctx::output);
    }

    /** Where side outputs go: the context of whichever call flushes. */
    interface SideOutput {
        <X> void output(OutputTag<X> tag, X value);
    }

    private void flush(Collector<Result> out, SideOutput side) {
        List<Window> batch = pending;
        pending = new ArrayList<>();
        deadline = 0;
        batchSizes.update(batch.size());
        long batchStarted = System.currentTimeMillis();
        long started = System.nanoTime();
        List<Answer> results = new ArrayList<>();
        List<Decoded> transcribed = new ArrayList<>();
        try {
            run(batch, batchStarted, results, transcribed);
        } catch (RuntimeException e) {
            // one window (or the model on it) failed the batch: run them one by one, so only what fails is lost, with a word
            LOG.warn("a batch of {} windows failed ({}); running them one at a time", batch.size(), e.toString());
            results.clear();
            transcribed.clear();
            for (Window w : batch) {
                try {
                    run(List.of(w), batchStarted, results, transcribed);
                } catch (RuntimeException alone) {
                    LOG.warn("the model failed on window {} of stream {}: {}", w.index, StreamKeys.display(w.streamId), alone.toString());
                    side.output(CONTROL_DEAD_LETTERS, inferenceFailed(w, alone));
                }
            }
        }
        transcribed.forEach(d -> side.output(TRANSCRIBED, d));
        long inference = (System.nanoTime() - started) / 1_000_000;
        inferenceMillis.update(inference);
        long now = System.currentTimeMillis();
        for (Answer a : results) {
            long latency = now - a.sourceTimestamp();
            endToEndMillis.update(latency);
            // labels: also what the batch they were in took
            ResultMessage timed = a.message().withTimes(latency, a.queuedMs(), a.queuedMs() == null ? null : inference);
            out.collect(Result.of(a.streamId(), JsonCodec.write(timed)));
        }
        windows.inc(batch.size());
    }

    /** Runs the model(s) on a batch: labels into results, transcribers' readings into transcribed. */
    private void run(List<Window> batch, long batchStarted, List<Answer> results, List<Decoded> transcribed) {
        List<Window> audio = new ArrayList<>(), text = new ArrayList<>();
        for (Window w : batch) (w.kind == StreamEvent.TEXT ? text : audio).add(w);
        List<Answer> labels = new ArrayList<>();
        List<Decoded> readings = new ArrayList<>();
        // one instance per slot and core: the kernels stay on this thread rather than queue in the shared pool
        KernelThreads.callingThreadOnly(() -> {
            if (!audio.isEmpty()) {
                if (served.get(AUDIO).model().task() == TaskModel.Task.TRANSCRIPTION) readings.addAll(transcribeAudio(audio));
                else labels.addAll(classifyAudio(audio, batchStarted));
            }
            if (!text.isEmpty()) labels.addAll(classifyText(text, batchStarted));
            return null;
        });
        results.addAll(labels);   // only a batch that ran whole adds anything
        transcribed.addAll(readings);
    }

    /** A window the model failed on: no record is given back (a window is made of many), but its stream and place are. */
    private static DeadLetter inferenceFailed(Window w, RuntimeException e) {
        DeadLetter d = DeadLetter.of(DeadLetterReason.INFERENCE_FAILED, "the model failed on " + (w.kind == StreamEvent.TEXT ? "text message seq " + w.index
                : "audio window " + w.index + " (frames " + w.startFrame + "-" + w.endFrame + ")") + " of this stream: " + e
                + "; the window is dropped and the job goes on", Stage.MODEL, null);
        d.streamId = w.streamId;
        return d;
    }

    private List<Answer> classifyAudio(List<Window> batch, long batchStarted) {
        Served audio = served.get(AUDIO);
        List<Window> usable = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        List<Answer> results = new ArrayList<>();
        for (Window w : batch) {
            float[][] positions = audio.model().audioPositions(w.frameRows());
            if (positions.length == 0) {   // the stream ended and its last window was already reported: say it ended
                results.add(new Answer(w.streamId, w.sourceTimestamp, null, ResultMessage.end(StreamKeys.display(w.streamId),
                        StreamKeys.base64(w.streamId), w.index, ending(w), version(audio))));
                continue;
            }
            usable.add(w);
            examples.add(Example.features(positions, 0));
        }
        if (examples.isEmpty()) return results;
        double[][] scores = audio.model().classify(examples);
        for (int i = 0; i < usable.size(); i++) {
            Window w = usable.get(i);
            Answer a = label(w, audio, Input.AUDIO, scores[i], batchStarted);
            results.add(new Answer(a.streamId(), a.sourceTimestamp(), a.queuedMs(),
                    a.message().inWindow(WindowSpan.of(w.index, w.startFrame, w.endFrame), w.last, ending(w))));
        }
        return results;
    }

    /** Each window's best symbol per position; the stitcher makes text of them. */
    private List<Decoded> transcribeAudio(List<Window> batch) {
        Served audio = served.get(AUDIO);
        TaskModel model = audio.model();
        List<Window> usable = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        for (Window w : batch) {
            float[][] positions = model.audioPositions(w.frameRows());
            if (positions.length > 0) {
                usable.add(w);
                examples.add(Example.transcript(positions, new int[]{1}));
            }
        }
        List<TaskModel.Transcription> read = examples.isEmpty() ? List.of() : model.transcribe(examples);
        List<Decoded> out = new ArrayList<>();
        for (Window w : batch) {
            int at = usable.indexOf(w);
            out.add(Decoded.of(w, at < 0 ? new int[0] : read.get(at).path(), audio));
        }
        return out;
    }

    private List<Answer> classifyText(List<Window> batch, long batchStarted) {
        Served text = served.get(TEXT);
        List<Example> examples = new ArrayList<>();
        for (Window w : batch) examples.add(Example.tokens(text.model().encodeText(new String(w.text, StandardCharsets.UTF_8)), 0));
        double[][] scores = text.model().classify(examples);
        List<Answer> results = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Answer a = label(batch.get(i), text, Input.TEXT, scores[i], batchStarted);
            results.add(batch.get(i).index < 0 ? a : new Answer(a.streamId(), a.sourceTimestamp(), a.queuedMs(), a.message().withSeq(batch.get(i).index)));
        }
        return results;
    }

    private static Answer label(Window w, Served served, Input input, double[] scores, long batchStarted) {
        List<String> labels = served.model().labels();
        int best = 0;
        for (int k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
        Map<String, Double> byLabel = new LinkedHashMap<>();
        for (int k = 0; k < scores.length; k++) byLabel.put(labels.get(k), scores[k]);
        ResultMessage label = ResultMessage.label(StreamKeys.display(w.streamId), StreamKeys.base64(w.streamId), input, labels.get(best),
                scores[best], byLabel, version(served));
        return new Answer(w.streamId, w.sourceTimestamp, batchStarted - w.arrivedAt, label);
    }

    private static ResultMessage.ModelVersion version(Served served) {
        return new ResultMessage.ModelVersion(served.ref().name(), served.ref().version());
    }

    /** What ended with a window, typed (null while its stream goes on). */
    static Ending ending(Window w) {
        return w.ending == null ? null : Ending.of(w.ending);
    }
}
