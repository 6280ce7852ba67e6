package dev.reformer.pipeline;

import dev.reformer.protocol.Codes;
import dev.reformer.protocol.ControlMessage;
import dev.reformer.protocol.JsonCodec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Reformer operator alone, in Flink's test harness, with the shipped models: what fails on one window or one model stays there. */
class ReformerOperatorTest {
    @TempDir
    Path dir;

    static Window audioWindow(String stream, int dims, Random random) {
        Window w = new Window();
        w.streamId = stream;
        w.kind = StreamEvent.AUDIO;
        w.startFrame = 0;
        w.endFrame = 100;
        w.dims = dims;
        w.frames = new float[100 * dims];
        for (int i = 0; i < w.frames.length; i++) w.frames[i] = (float) (-8 + random.nextGaussian());
        w.sourceTimestamp = System.currentTimeMillis();
        return w;
    }

    static List<String> reasons(KeyedBroadcastOperatorTestHarness<String, Window, RawRecord, Result> h) {
        var letters = h.getSideOutput(ReformerOperator.CONTROL_DEAD_LETTERS);
        return letters == null ? List.of() : letters.stream().map(r -> r.getValue().reason.code()).toList();
    }

    @Test
    void aWindowTheModelFailsOnIsADeadLetterAndAMismatchedModelIsRefused() throws Exception {
        JobSettings s = JobSettings.defaults("127.0.0.1:1", ModelControlTest.COMMANDS.toString(), ModelControlTest.SPAM.toString()).withBatching(4, 60_000);
        ModelControl.Feeding feeding = ModelControlTest.feedingOf(ModelControlTest.COMMANDS, s.windowFrames());
        try (KeyedBroadcastOperatorTestHarness<String, Window, RawRecord, Result> h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                new ReformerOperator(s, feeding), w -> w.streamId, Types.STRING, ReformerOperator.MODELS)) {
            Random random = new Random(1);
            // a batch of four, one of them with 40 values a frame where the model reads 80: it alone fails
            h.processElement(audioWindow("a", 80, random), 0);
            h.processElement(audioWindow("b", 40, random), 0);
            h.processElement(audioWindow("c", 80, random), 0);
            h.processElement(audioWindow("d", 80, random), 0);
            List<String> streams = h.extractOutputValues().stream().map(r -> r.streamId).sorted().toList();
            assertEquals(List.of("a", "c", "d"), streams, "the other windows of the batch have their results");
            assertEquals(List.of("inference_failed"), reasons(h));
            assertEquals("b", h.getSideOutput(ReformerOperator.CONTROL_DEAD_LETTERS).peek().getValue().streamId);

            // a model with other features is refused before anything changes; the old one keeps serving
            Path forty = ModelControlTest.fortyBands(dir);
            String message = JsonCodec.write(new ControlMessage(Codes.Input.AUDIO, "forty", forty.toString(),
                    ModelControl.sha256(forty.resolve("model.safetensors"))));
            h.processBroadcastElement(new RawRecord("models-control", 0, 0, 0, "audio".getBytes(StandardCharsets.UTF_8),
                    message.getBytes(StandardCharsets.UTF_8), new String[0], new byte[0][]), 0);
            assertEquals(List.of("inference_failed", "model_mismatch"), reasons(h));
            for (String stream : new String[]{"e", "f", "g", "h"}) h.processElement(audioWindow(stream, 80, random), 0);
            String version = ModelControl.sha256(ModelControlTest.COMMANDS.resolve("model.safetensors")).substring(0, 12);
            List<Result> results = h.extractOutputValues();
            assertEquals(7, results.size());
            for (Result r : results) {
                // read strictly: a field the protocol does not have (the exact id travels outside the JSON) fails it
                assertEquals(version, JsonCodec.readResult(r.json).model().version(), r.json);
            }
        }
    }
}
