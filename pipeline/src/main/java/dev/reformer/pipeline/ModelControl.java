package dev.reformer.pipeline;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.ControlMessage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ProtocolException;
import dev.reformer.task.TaskModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Models by reference, and the control messages that swap them ({@link ControlMessage} on the control topic): a
 * model directory and the SHA-256 of its model.safetensors.
 */
public final class ModelControl {

    private ModelControl() {}

    /** Which model serves an input ({@link Input#code()}): what the broadcast state holds (and so what a checkpoint restores). */
    public record ModelRef(String input, String name, String path, String sha256) implements Serializable {
        public String version() {
            return sha256.substring(0, 12);
        }
    }

    /** A loaded model and the reference it came from. */
    public record Served(ModelRef ref, TaskModel model) {}

    /** A refused control message: reason is a stable code, the message says what to fix. */
    public static final class Rejected extends Exception {
        public final DeadLetterReason reason;

        Rejected(DeadLetterReason reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** Parses a control message; checks its fields, the file's presence and its checksum, but does not load it. */
    public static ModelRef parse(byte[] message) throws Rejected {
        ControlMessage m;
        try {
            m = JsonCodec.readControl(message);
        } catch (ProtocolException e) {
            throw new Rejected(e.reason(), e.getMessage());
        }
        String input = m.input().code(), name = m.name(), path = m.path(), sha = m.sha256();
        Path weights = Path.of(path).resolve("model.safetensors");
        if (!Files.isRegularFile(weights) || !Files.isRegularFile(Path.of(path).resolve("config.json"))) {
            throw new Rejected(DeadLetterReason.MODEL_MISSING, path + " does not hold config.json and model.safetensors; copy the model there first");
        }
        String actual;
        try {
            actual = sha256(weights);
        } catch (IOException e) {
            throw new Rejected(DeadLetterReason.MODEL_MISSING, weights + " cannot be read: " + e.getMessage());
        }
        if (!actual.equals(sha)) {
            throw new Rejected(DeadLetterReason.MODEL_CHECKSUM, weights + " has SHA-256 " + actual + ", the message says " + sha
                    + "; the file is incomplete or not the one meant");
        }
        return new ModelRef(input, name, path, sha);
    }

    /** Loads a referenced model, checking that it fits the input it is to serve. */
    public static Served load(ModelRef ref) throws Rejected {
        TaskModel model;
        try {
            model = TaskModel.load(Path.of(ref.path()), DataType.FLOAT);
        } catch (IOException | RuntimeException e) {
            throw new Rejected(DeadLetterReason.MODEL_UNLOADABLE, ref.path() + " could not be loaded: " + e.getMessage());
        }
        if (model.input().audio() != ref.input().equals(Input.AUDIO.code())) {
            throw new Rejected(DeadLetterReason.MODEL_WRONG_INPUT, ref.path() + " reads " + (model.input().audio() ? Input.AUDIO : Input.TEXT).code()
                    + ", the message wants it for " + ref.input());
        }
        if (model.task() == TaskModel.Task.TRANSCRIPTION && !model.input().audio()) {
            throw new Rejected(DeadLetterReason.MODEL_UNSUPPORTED, ref.path() + " transcribes text; the job transcribes audio and classifies text");
        }
        return new Served(ref, model);
    }

    /**
     * What the running job feeds the models: the front-end's features and the windowing were fixed when it started
     * (from the audio model it was started with), so a swapped-in model must read exactly those.
     *
     * @param features     the feature frames of audio windows (null when the job reads no audio)
     * @param audioTask    classification or transcription: it decides how windows are cut (speech ends) and read
     * @param windowFrames W, the frames of a full audio window
     */
    public record Feeding(FeatureConfig features, TaskModel.Task audioTask, int windowFrames, boolean streaming) implements Serializable {
        public Feeding(FeatureConfig features, TaskModel.Task audioTask, int windowFrames) {
            this(features, audioTask, windowFrames, false);
        }

        /** Refuses (model_mismatch) a model that would not read what the job gives it. */
        public void check(Served s) throws Rejected {
            TaskModel m = s.model();
            if (!m.input().audio()) return;   // text is bytes: any text classifier reads any message (cut to its max_length)
            if (features == null) throw mismatch(s, "the job reads no audio");
            if (!m.input().features().equals(features)) {
                throw mismatch(s, "its front-end is " + describe(m.input().features()) + ", the job computes " + describe(features));
            }
            if (m.task() != audioTask) {
                throw mismatch(s, "it does " + m.task().name().toLowerCase() + ", the job was started for " + audioTask.name().toLowerCase()
                        + " (its windows end " + (audioTask == TaskModel.Task.TRANSCRIPTION ? "at speech ends" : "on a fixed grid") + ")");
            }
            if (m.config().isStreaming() != streaming) {
                throw mismatch(s, streaming ? "it reads overlapping windows, and the job was started with a streaming model (hops read once against each stream's cache)"
                        : "it is a streaming model (hops read once against each stream's cache), and the job was started with overlapping windows");
            }
            if (streaming) {
                try {
                    new dev.reformer.task.StreamingTranscription(m);
                } catch (IllegalArgumentException e) {
                    throw mismatch(s, e.getMessage());
                }
            }
            int stack = m.input().stack(), positions = stack < 1 ? 0 : windowFrames / stack;
            if (positions < 1 || positions > m.input().maxLength()) {
                throw mismatch(s, "a window of " + windowFrames + " frames is " + positions + " positions at its frame_stack " + stack
                        + ", and it reads 1 to " + m.input().maxLength());
            }
        }

        private static Rejected mismatch(Served s, String why) {
            return new Rejected(DeadLetterReason.MODEL_MISMATCH, s.ref().path() + " does not fit the running job: " + why
                    + "; the running model keeps serving (start a new job for a model with other input)");
        }

        private static String describe(FeatureConfig f) {
            return f.kind().name().toLowerCase() + " " + (f.kind() == FeatureConfig.Kind.MFCC ? f.mfccCoefficients() + " coefficients of " : "")
                    + f.melBands() + " bands " + f.lowHz() + "-" + f.highHz() + " Hz, log floor " + f.logFloor();
        }
    }

    /** The reference of a model directory as given on the command line. */
    public static ModelRef reference(String input, String path) throws IOException {
        return new ModelRef(input, Path.of(path).getFileName().toString(), path, sha256(Path.of(path).resolve("model.safetensors")));
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
