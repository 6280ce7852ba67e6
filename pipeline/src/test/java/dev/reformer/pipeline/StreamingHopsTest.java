package dev.reformer.pipeline;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.train.Example;
import dev.reformer.protocol.Codes;
import dev.reformer.protocol.ControlMessage;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A streaming transcriber in the Reformer operator (Flink's test harness): each hop read once against the stream's
 * cache in keyed state gives what the model reads of the whole stream at once, also across a snapshot and restore
 * into a new operator; an ended stream frees its cache; a windowed model cannot be swapped in.
 */
class StreamingHopsTest {
    static final int HOP = 50;

    @TempDir
    Path dir;

    static Window hop(String stream, long index, float[][] frames, String ending) {
        Window w = new Window();
        w.streamId = stream;
        w.kind = StreamEvent.AUDIO;
        w.index = index;
        w.startFrame = index * HOP;
        w.endFrame = w.startFrame + HOP;
        w.dims = frames[0].length;
        w.frames = new float[HOP * w.dims];
        for (int f = 0; f < HOP; f++) System.arraycopy(frames[(int) w.startFrame + f], 0, w.frames, f * w.dims, w.dims);
        w.last = ending != null;
        w.ending = ending;
        w.sourceTimestamp = System.currentTimeMillis();
        return w;
    }

    KeyedBroadcastOperatorTestHarness<String, Window, RawRecord, Result> harness(Path model) throws Exception {
        return harness(model, "hashmap");
    }

    KeyedBroadcastOperatorTestHarness<String, Window, RawRecord, Result> harness(Path model, String backend) throws Exception {
        JobSettings s = JobSettings.defaults("127.0.0.1:1", model.toString(), null).withWindow(HOP, HOP);
        TaskModel m = TaskModel.load(model, DataType.FLOAT);
        ModelControl.Feeding feeding = new ModelControl.Feeding(m.input().features(), m.task(), HOP, true);
        // not opened: a restored one takes its state first
        var h = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(new ReformerOperator(s, feeding),
                List.of(ReformerOperator.MODELS)), w -> w.streamId, Types.STRING, 1, 1, 0);
        if (backend.equals("rocksdb")) h.setStateBackend(new org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend());
        return h;
    }

    static List<int[]> readings(KeyedBroadcastOperatorTestHarness<String, Window, RawRecord, Result> h) {
        List<int[]> out = new ArrayList<>();
        var side = h.getSideOutput(ReformerOperator.TRANSCRIBED);
        if (side != null) side.forEach(r -> out.add(r.getValue().best));
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"hashmap", "rocksdb"})
    void hopsReadAgainstTheCacheEqualTheWholeStreamAlsoAfterARestore(String backend) throws Exception {
        Path model = StreamingModels.untrainedTranscriber(dir.resolve("streaming"), 64);
        float[][] frames = new float[12 * HOP][FeatureConfig.logMel().dimension()];
        Random random = new Random(2);
        for (float[] f : frames) for (int b = 0; b < f.length; b++) f[b] = (float) (-8 + random.nextGaussian());
        TaskModel m = TaskModel.load(model, DataType.FLOAT);
        int[] whole = m.transcribe(List.of(Example.transcript(m.audioPositions(frames), new int[]{1}))).get(0).path();

        OperatorSubtaskState snapshot;
        List<int[]> before;
        try (var h = harness(model, backend)) {
            h.open();
            for (int i = 0; i < 5; i++) h.processElement(hop("a", i, frames, null), 0);
            for (String state : List.of("stream-carry", "stream-entries")) {
                try (var keys = h.getOperator().getKeyedStateBackend().getKeys(state, org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                    assertEquals(List.of("a"), keys.toList(), "the stream's cache is keyed state");
                }
            }
            snapshot = h.snapshot(1, 1);
            before = readings(h);
        }
        List<int[]> after;
        try (var h = harness(model, backend)) {
            h.initializeState(snapshot);
            h.open();
            for (int i = 5; i < 12; i++) h.processElement(hop("a", i, frames, i == 11 ? Window.EOS : null), 0);
            after = readings(h);
            for (String state : List.of("stream-carry", "stream-entries")) {
                try (var keys = h.getOperator().getKeyedStateBackend().getKeys(state, org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                    assertEquals(0, keys.count(), "the ended stream's cache is freed");
                }
            }
        }
        int[] path = new int[0];
        for (List<int[]> part : List.of(before, after)) for (int[] r : part) path = concat(path, r);
        assertEquals(12 * HOP / 4, path.length, "every hop read once, 12.5 positions a hop");
        assertArrayEquals(whole, path);
        assertTrue(Arrays.stream(path).anyMatch(s -> s != 0), "spread weights read something");
    }

    @Test
    void aWindowedModelCannotBeSwappedInForAStreamingOne() throws Exception {
        Path model = StreamingModels.untrainedTranscriber(dir.resolve("streaming"), 64);
        try (var h = harness(model)) {
            h.open();
            Path windowed = ModelControlTest.DIGITS;
            String message = JsonCodec.write(new ControlMessage(Codes.Input.AUDIO, "windowed", windowed.toString(),
                    ModelControl.sha256(windowed.resolve("model.safetensors"))));
            h.processBroadcastElement(new RawRecord("models-control", 0, 0, 0, "audio".getBytes(StandardCharsets.UTF_8),
                    message.getBytes(StandardCharsets.UTF_8), new String[0], new byte[0][]), 0);
            var letters = h.getSideOutput(ReformerOperator.CONTROL_DEAD_LETTERS);
            assertEquals("model_mismatch", letters.peek().getValue().reason.code());
            assertTrue(letters.peek().getValue().toJson().contains("streaming"), letters.peek().getValue().toJson());
        }
    }

    @Test
    void aJobServingAStreamingModelNeedsACheckpointDirectory() throws Exception {
        Path model = StreamingModels.untrainedTranscriber(dir.resolve("streaming"), 64);
        JobSettings s = JobSettings.defaults("127.0.0.1:1", model.toString(), null);
        var env = org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment();
        String why = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ReformerJob.build(env, s)).getMessage();
        assertTrue(why.contains("give --checkpoint-dir"), why);
        ReformerJob.build(org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(),
                s.withCheckpoints(1000, dir.resolve("checkpoints").toString()));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
