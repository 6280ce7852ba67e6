package dev.reformer.pipeline;

import dev.reformer.protocol.Codes;
import dev.reformer.protocol.DeadLetterReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.task.TaskModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** A swapped-in model must read what the running job feeds it; the shipped models serve as the running ones. */
class ModelControlTest {
    static final Path COMMANDS = Path.of("..", "models", "commands").toAbsolutePath().normalize();
    static final Path DIGITS = Path.of("..", "models", "digits").toAbsolutePath().normalize();
    static final Path SPAM = Path.of("..", "models", "spam").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    static ModelControl.Feeding feedingOf(Path audioModel, int windowFrames) throws Exception {
        TaskModel m = TaskModel.load(audioModel, DataType.FLOAT);
        return new ModelControl.Feeding(m.input().features(), m.task(), windowFrames);
    }

    /** A copy of models/commands whose front-end has 40 mel bands (means and deviations cut to match), weights as they are. */
    static Path fortyBands(Path dir) throws Exception {
        return ModelVariants.fortyBands(COMMANDS, dir.resolve("commands-40"), false);
    }

    static ModelControl.Served served(Path model, String input) throws Exception {
        return ModelControl.load(ModelControl.reference(input, model.toString()));
    }

    @Test
    void theSameKindOfModelFits() throws Exception {
        feedingOf(COMMANDS, 100).check(served(COMMANDS, Codes.Input.AUDIO.code()));
        feedingOf(COMMANDS, 100).check(served(SPAM, Codes.Input.TEXT.code()));
    }

    @Test
    void otherFeaturesAnotherTaskOrAWindowTooLongAreRefused() throws Exception {
        ModelControl.Feeding feeding = feedingOf(COMMANDS, 100);
        ModelControl.Served forty = served(fortyBands(dir), Codes.Input.AUDIO.code());
        ModelControl.Rejected features = assertThrows(ModelControl.Rejected.class, () -> feeding.check(forty));
        assertEquals(DeadLetterReason.MODEL_MISMATCH, features.reason);
        assertTrue(features.getMessage().contains("40 bands") && features.getMessage().contains("80 bands"), features.getMessage());
        ModelControl.Rejected task = assertThrows(ModelControl.Rejected.class, () -> feeding.check(served(DIGITS, Codes.Input.AUDIO.code())));
        assertTrue(task.getMessage().contains("transcription"), task.getMessage());
        // commands reads at most 64 positions of 4 frames: a window of 400 frames would be cut
        assertThrows(ModelControl.Rejected.class, () -> feedingOf(COMMANDS, 400).check(served(COMMANDS, Codes.Input.AUDIO.code())));
    }
}
