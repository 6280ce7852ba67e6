package dev.reformer.task;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Example;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A streaming transcriber, saved and loaded as serving loads it, read hop by hop against the whole stream read at once. */
class StreamingTranscriptionTest {
    static final List<String> SYMBOLS = List.of("", "one", "two", "three");

    static ReformerConfig streamingConfig(int context) {
        return TaskModel.defaultConfig(64, false).toBuilder().localAttnChunkLength(8).lshAttnChunkLength(8).numBuckets(4)
                .isDecoder(true).hashSeed(3L).streamingContextLength(context).initializerRange(0.5)
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).build();
    }

    static TaskModel savedAndLoaded(Path dir, ReformerConfig config, boolean centred) throws Exception {
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        Arrays.fill(std, 1f);
        TaskModel.Input input = new TaskModel.Input(true, 64, features, 2, mean, std, 0, centred);
        TaskModel.create(config, TaskModel.Task.TRANSCRIPTION, SYMBOLS, TaskModel.SymbolUnit.WORD, input,
                new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(1)), 1).save(dir);
        return TaskModel.load(dir, DataType.FLOAT);
    }

    static float[][] frames(long seed, int n) {
        Random random = new Random(seed);
        float[][] f = new float[n][FeatureConfig.logMel().dimension()];
        for (float[] row : f) for (int b = 0; b < row.length; b++) row[b] = (float) random.nextGaussian();
        return f;
    }

    @Test
    void hopByHopReadsWhatTheWholeStreamReads(@TempDir Path dir) throws Exception {
        TaskModel model = savedAndLoaded(dir, streamingConfig(48), false);
        float[][] frames = frames(2, 125); // 62 positions and one frame over; past the context of 48
        int[] whole = model.transcribe(List.of(Example.transcript(model.audioPositions(frames), new int[]{1}))).get(0).path();

        StreamingTranscription served = new StreamingTranscription(model);
        StreamingTranscription.State state = served.newState();
        int[] path = new int[0], symbols = new int[0];
        int at = 0;
        for (int hop : new int[]{3, 10, 1, 25, 7, 44, 35}) {
            StreamingTranscription.Hop h = served.step(state, Arrays.copyOfRange(frames, at, at + hop));
            path = concat(path, h.path());
            symbols = concat(symbols, h.symbols());
            at += hop;
        }
        assertEquals(62, state.positions());
        assertArrayEquals(whole, path);
        assertArrayEquals(CtcPaths.collapse(whole), symbols);
        assertTrue(symbols.length > 3, "an untrained model of spread weights says something: " + Arrays.toString(symbols));
    }

    @Test
    void aStateThroughItsBytesGoesOnAsTheUninterruptedOne(@TempDir Path dir) throws Exception {
        StreamingTranscription served = new StreamingTranscription(savedAndLoaded(dir, streamingConfig(48), false));
        float[][] frames = frames(4, 90);
        StreamingTranscription.State uninterrupted = served.newState();
        served.step(uninterrupted, Arrays.copyOfRange(frames, 0, 41)); // odd: one frame waits for its pair
        StreamingTranscription.State restored = StreamingTranscription.State.fromBytes(uninterrupted.toBytes(), served);
        StreamingTranscription.Hop expected = served.step(uninterrupted, Arrays.copyOfRange(frames, 41, 90));
        StreamingTranscription.Hop actual = served.step(restored, Arrays.copyOfRange(frames, 41, 90));
        assertArrayEquals(expected.path(), actual.path());
        assertEquals(expected.text(), actual.text());
        assertArrayEquals(uninterrupted.toBytes(), restored.toBytes());
    }

    @Test
    void modelsThatCannotStreamAndForeignStatesAreRefusedWithAReason(@TempDir Path dir) throws Exception {
        TaskModel windowed = savedAndLoaded(dir.resolve("windowed"), TaskModel.defaultConfig(64, false), false);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new StreamingTranscription(windowed)).getMessage()
                .contains("not a streaming model"));
        TaskModel centred = savedAndLoaded(dir.resolve("centred"), streamingConfig(48), true);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new StreamingTranscription(centred)).getMessage()
                .contains("without --centre"));

        StreamingTranscription served = new StreamingTranscription(savedAndLoaded(dir.resolve("a"), streamingConfig(48), false));
        StreamingTranscription.State state = served.newState();
        served.step(state, frames(5, 100));
        StreamingTranscription other = new StreamingTranscription(savedAndLoaded(dir.resolve("b"), streamingConfig(16), false));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamingTranscription.State.fromBytes(state.toBytes(), other))
                .getMessage().contains("keeps at most 16"));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
