package dev.reformer.task;

import dev.reformer.model.HostValues;
import dev.reformer.model.StreamState;
import dev.reformer.model.StreamingEncoder;
import dev.reformer.model.layers.Linear;
import dev.reformer.model.train.Encoder;
import dev.reformer.model.train.SequenceTranscriber;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A streaming transcriber ({@code streaming_context_length} in its config) served hop by hop: each hop's frames
 * are standardised and stacked into positions, the positions go once through the model against the stream's cached
 * past ({@link StreamingEncoder}), and the greedy CTC path is collapsed across hop boundaries, so a stream's words
 * come out as soon as their positions are read. What a stream carries from hop to hop is its {@link State}.
 */
public final class StreamingTranscription {
    private final TaskModel model;
    private final StreamingEncoder encoder;
    private final INDArray projectionWeight, projectionBias, headWeight, headBias;

    public StreamingTranscription(TaskModel model) {
        if (model.task() != TaskModel.Task.TRANSCRIPTION || !model.input().audio()) {
            throw new IllegalArgumentException("streaming serves audio transcribers; this model is a " + model.task().name().toLowerCase()
                    + " model of " + (model.input().audio() ? "audio" : "text") + ": serve it in windows (leave streaming_context_length out"
                    + " of its config)");
        }
        if (model.input().centred()) throw new IllegalArgumentException("this model centres each window on its own mean, which a "
                + "stream read hop by hop does not have; train the streaming model without --centre");
        SequenceTranscriber transcriber = (SequenceTranscriber) model.trainable();
        this.model = model;
        this.encoder = new StreamingEncoder(transcriber.encoder().model());
        Map<String, INDArray> params = transcriber.params();
        this.projectionWeight = params.get(Encoder.PROJECTION_WEIGHT);
        this.projectionBias = params.get(Encoder.PROJECTION_BIAS);
        this.headWeight = params.get(SequenceTranscriber.HEAD_WEIGHT);
        this.headBias = params.get(SequenceTranscriber.HEAD_BIAS);
    }

    public TaskModel model() { return model; }

    /** What a hop gave: the path's symbol per new position (blanks included), the symbols it added, their text. */
    public record Hop(int[] path, int[] symbols, String text) {}

    /** A fresh stream. */
    public State newState() {
        return new State(encoder.newState(), new float[0][], CtcPaths.BLANK);
    }

    /**
     * The next frames of a stream ([n][bands] from the front-end): the positions they complete go through the model;
     * frames short of a whole position wait in the state for the next hop.
     */
    public Hop step(State state, float[][] frames) {
        int stack = model.input().stack();
        float[][] all = state.leftover.length == 0 ? frames : concat(state.leftover, frames);
        int positions = all.length / stack;
        int[] path = new int[positions];
        for (int from = 0; from < positions; ) { // at most max_length positions a pass: the work of one call is bounded per pass
            int n = Math.min(model.input().maxLength(), positions - from);
            float[][] stacked = model.audioPositions(all, from * stack, (from + n) * stack);
            System.arraycopy(greedyPath(state.encoder, stacked), 0, path, from, n);
            from += n;
        }
        state.leftover = Arrays.copyOfRange(all, positions * stack, all.length);
        int[] symbols = CtcPaths.collapse(path, state.lastSymbol);
        if (path.length > 0) state.lastSymbol = path[path.length - 1];
        return new Hop(path, symbols, model.spell(symbols));
    }

    /** The best symbol of each position. */
    private int[] greedyPath(StreamState state, float[][] stacked) {
        DataType dtype = projectionWeight.dataType();
        INDArray features = Nd4j.create(stacked).castTo(dtype);
        INDArray hidden = encoder.step(state, Linear.forward(features, projectionWeight, projectionBias));
        double[] logits = HostValues.doubles(Linear.forward(hidden, headWeight, headBias));
        int symbols = (int) headWeight.size(0);
        double[][] rows = new double[stacked.length][];
        for (int p = 0; p < rows.length; p++) rows[p] = Arrays.copyOfRange(logits, p * symbols, (p + 1) * symbols);
        return CtcPaths.best(rows); // the best logit is the best log-probability: no softmax needed for the path
    }

    private static float[][] concat(float[][] a, float[][] b) {
        float[][] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A stream's carry-over: the encoder's cache, frames short of a position, the path's last symbol. */
    public static final class State {
        private final StreamState encoder;
        private float[][] leftover;
        private int lastSymbol;

        private State(StreamState encoder, float[][] leftover, int lastSymbol) {
            this.encoder = encoder;
            this.leftover = leftover;
            this.lastSymbol = lastSymbol;
        }

        /** Positions read so far. */
        public long positions() { return encoder.nextPosition(); }

        public long sizeInBytes() {
            return encoder.sizeInBytes() + 12 + 4L * leftover.length * (leftover.length == 0 ? 0 : leftover[0].length);
        }

        /** The encoder's cache, which a store may keep as {@link StreamState#headerBytes} and entries. */
        public StreamState encoder() { return encoder; }

        /** The whole state in one array. */
        public byte[] toBytes() {
            return write(encoder.toBytes());
        }

        /**
         * The state without the encoder's entries: the path's last symbol, the frames waiting, the encoder's header. With
         * the encoder's entries it is the whole state again ({@link #fromCarry}).
         */
        public byte[] carryBytes() {
            return write(encoder.headerBytes());
        }

        private byte[] write(byte[] encoderPart) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(lastSymbol);
                out.writeInt(leftover.length);
                out.writeInt(leftover.length == 0 ? 0 : leftover[0].length);
                for (float[] frame : leftover) for (float v : frame) out.writeFloat(v);
                out.write(encoderPart);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        /**
         * A state written by {@link #toBytes()} for this model.
         *
         * @throws IllegalArgumentException when the bytes are not such a state, or belong to a model of another shape
         */
        public static State fromBytes(byte[] bytes, StreamingTranscription served) {
            return read(bytes, served, encoderPart -> StreamState.fromBytes(encoderPart, served.encoder.config()));
        }

        /**
         * A state from its {@link #carryBytes()} and the encoder's entries it names.
         *
         * @throws IllegalArgumentException when the carry does not fit this model, or an entry is missing
         */
        public static State fromCarry(byte[] carry, StreamState.Entries entries, StreamingTranscription served) {
            return read(carry, served, header -> StreamState.fromParts(header, served.encoder.config(), entries));
        }

        private static State read(byte[] bytes, StreamingTranscription served, java.util.function.Function<byte[], StreamState> encoderPart) {
            TaskModel.Input input = served.model.input();
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                int lastSymbol = in.readInt(), frames = in.readInt(), bands = in.readInt();
                if (lastSymbol < 0 || lastSymbol >= served.model.labels().size() || frames < 0 || frames >= input.stack()
                        || (frames > 0 && bands != input.features().dimension())) {
                    throw new IllegalArgumentException("the stream state does not fit this model (symbol " + lastSymbol + ", "
                            + frames + " frames of " + bands + " values waiting); a state is only valid for the model that wrote it");
                }
                float[][] leftover = new float[frames][bands];
                for (float[] frame : leftover) for (int b = 0; b < bands; b++) frame[b] = in.readFloat();
                return new State(encoderPart.apply(in.readAllBytes()), leftover, lastSymbol);
            } catch (IOException e) {
                throw new IllegalArgumentException("the stream state is truncated: " + e.getMessage(), e);
            }
        }
    }
}
