package dev.reformer.pipeline;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Rotations;
import dev.reformer.task.TaskModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/** Models for tests of streaming serving (here and in module tests). */
public final class StreamingModels {
    private StreamingModels() {}

    /**
     * An untrained streaming transcriber of symbols a, b, c (40 ms positions, chunks of 16, 4 buckets), its weights spread
     * wide enough that it says something, saved in dir as train saves one. context: positions each layer keeps.
     */
    public static Path untrainedTranscriber(Path dir, int context) throws Exception {
        ReformerConfig config = TaskModel.defaultConfig(256, false).toBuilder().localAttnChunkLength(16).lshAttnChunkLength(16)
                .numBuckets(4).isDecoder(true).hashSeed(3L).streamingContextLength(context).initializerRange(0.5)
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).build();
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        Arrays.fill(mean, -8f);
        Arrays.fill(std, 1f);
        TaskModel.create(config, TaskModel.Task.TRANSCRIPTION, List.of("", "a", "b", "c"), TaskModel.SymbolUnit.WORD,
                new TaskModel.Input(true, 256, features, 4, mean, std),
                new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(1)), 1).save(dir);
        return dir;
    }
}
