package dev.reformer.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.HostValues;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.Scratch;
import dev.reformer.model.heads.ClassificationHead;
import dev.reformer.model.heads.CtcHead;
import dev.reformer.model.io.ModelFiles;
import dev.reformer.model.io.SafeTensors;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Encoder;
import dev.reformer.model.train.Example;
import dev.reformer.model.train.SequenceClassifier;
import dev.reformer.model.train.SequenceTranscriber;
import dev.reformer.model.train.Trainable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained model as the product ships it: the Reformer, its head (classification or CTC transcription), and
 * how raw input becomes model input (UTF-8 bytes, or audio features stacked and standardised). Training writes
 * it and serving reads it, through this one class, so both turn input into model input the same way.
 *
 * On disk: {@code config.json} (the Reformer's fields plus a {@code reformer_flink} object holding the task, the
 * labels or symbols, and the input) and {@code model.safetensors} (encoder, projection and head tensors).
 */
public final class TaskModel {

    public enum Task { CLASSIFICATION, TRANSCRIPTION }

    /**
     * What one symbol of a transcriber is: a character (open vocabulary), or a whole word of a small vocabulary
     * (digits, commands), which needs far fewer positions per second of speech and spells no word wrong.
     */
    public enum SymbolUnit {
        CHARACTER(""), WORD(" ");

        /** What stands between two symbols in a transcript. */
        public final String separator;

        SymbolUnit(String separator) { this.separator = separator; }
    }

    /** Rotations of LSH layers when serving a model whose config has no hash_seed. */
    /** The scratch memory of serving passes (one block per thread: a Flink operator instance keeps its own). */
    private static final String SERVING = "reformer-serving";

    public static final long SERVING_HASH_SEED = 20200113L;

    /** Byte input: UTF-8 bytes as ids 2..257 (0 is padding), at most maxLength of them. */
    public static final int BYTE_OFFSET = 2, BYTE_VOCABULARY = 258;

    /**
     * How input becomes model input.
     *
     * @param audio     false: text as bytes; true: audio through the front-end with {@code features}
     * @param maxLength positions the model takes
     * @param stack     what one position holds: consecutive 10 ms frames (audio; a remainder under one stack is
     *                  dropped), or consecutive bytes (text; 1 is one byte id per position)
     * @param mean      per feature band, subtracted before stacking (audio only)
     * @param std       per feature band, divided by before stacking (audio only)
     * @param ngramBuckets text: buckets of the hashed character n-grams, words and word pairs added to each position
     *                  ({@code model.train.HashedNgrams}); 0 for none, and for audio
     * @param centred   audio: each band's mean over the clip or window is subtracted first (per-utterance mean
     *                  normalisation: a microphone's or room's colouring is a constant per band in log-mel, and goes)
     */
    public record Input(boolean audio, int maxLength, FeatureConfig features, int stack, float[] mean, float[] std, int ngramBuckets,
                        boolean centred) {
        public Input(boolean audio, int maxLength, FeatureConfig features, int stack, float[] mean, float[] std) {
            this(audio, maxLength, features, stack, mean, std, 0, false);
        }

        public Input(boolean audio, int maxLength, FeatureConfig features, int stack, float[] mean, float[] std, int ngramBuckets) {
            this(audio, maxLength, features, stack, mean, std, ngramBuckets, false);
        }

        public static Input bytes(int maxLength) {
            return bytes(maxLength, 1);
        }

        /** Text, bytesPerPosition bytes in each of maxLength positions. */
        public static Input bytes(int maxLength, int bytesPerPosition) {
            return bytes(maxLength, bytesPerPosition, 0);
        }

        /** Text, bytesPerPosition bytes and the hashed n-grams ending in them (ngramBuckets > 0) in each of maxLength positions. */
        public static Input bytes(int maxLength, int bytesPerPosition, int ngramBuckets) {
            return new Input(false, maxLength, null, bytesPerPosition, null, null, ngramBuckets);
        }

        /** Text read through the grouped-byte input layer (rather than one byte id per position, as token ids). */
        public boolean byteGroups() {
            return !audio && (stack > 1 || ngramBuckets > 0);
        }

        /** Bytes of text the model reads; the rest of a longer text is cut. */
        public int maxBytes() {
            return audio ? 0 : maxLength * stack;
        }

        /** Width of one position: feature bands times the stack. */
        public int width() {
            return audio ? features.dimension() * stack : 0;
        }
    }

    private final ReformerConfig config;
    private final Task task;
    /** Classification: the label names. Transcription: the symbols, index 0 the blank (""). */
    private final List<String> labels;
    private final SymbolUnit symbolUnit;
    private final Input input;
    private final Trainable trainable;

    public TaskModel(ReformerConfig config, Task task, List<String> labels, SymbolUnit symbolUnit, Input input, Trainable trainable) {
        this.config = config;
        this.task = task;
        this.labels = List.copyOf(labels);
        this.symbolUnit = symbolUnit;
        this.input = input;
        this.trainable = trainable;
    }

    /** A fresh model to train. */
    public static TaskModel create(ReformerConfig config, Task task, List<String> labels, SymbolUnit symbolUnit, Input input,
                                   ReformerModel model, long seed) {
        Encoder encoder = input.audio() ? Encoder.ofFeatures(model, input.width(), seed + 2)
                : input.byteGroups() ? Encoder.ofByteGroups(model, input.stack(), input.ngramBuckets(), seed + 2) : Encoder.ofTokens(model);
        Trainable trainable = task == Task.CLASSIFICATION
                ? SequenceClassifier.withNewHead(encoder, labels.size(), seed + 1)
                : SequenceTranscriber.withNewHead(encoder, labels.size(), seed + 1);
        return new TaskModel(config, task, labels, symbolUnit, input, trainable);
    }

    public ReformerConfig config() { return config; }

    public SymbolUnit symbolUnit() { return symbolUnit; }

    public Task task() { return task; }

    public List<String> labels() { return labels; }

    public Input input() { return input; }

    public Trainable trainable() { return trainable; }

    // ------------------------------------------------------------------ raw input to model input

    /** UTF-8 bytes as ids, cut to the bytes the model reads (an empty text is one zero byte). */
    public int[] encodeText(String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(input.maxBytes(), raw.length);
        int[] ids = new int[Math.max(1, n)];
        ids[0] = BYTE_OFFSET;
        for (int i = 0; i < n; i++) ids[i] = BYTE_OFFSET + (raw[i] & 0xff);
        return ids;
    }

    /**
     * Front-end frames [T][bands] to model positions [T / stack][bands * stack]: standardised per band, stacked,
     * cut to maxLength positions. Empty when there is less than one stack of frames.
     */
    public float[][] audioPositions(float[][] frames) {
        return audioPositions(frames, 0, frames.length);
    }

    public float[][] audioPositions(float[][] frames, int from, int to) {
        int bands = input.features().dimension(), stack = input.stack();
        int positions = Math.min(input.maxLength(), (to - from) / stack);
        for (int f = from; f < from + positions * stack; f++) {
            if (frames[f].length != bands) throw new IllegalArgumentException("frame has " + frames[f].length + " values, the model's front-end gives " + bands);
        }
        float[] centre = input.centred() ? bandMeans(frames, from, from + positions * stack, bands) : input.mean();
        float[][] out = new float[positions][bands * stack];
        for (int p = 0; p < positions; p++) {
            for (int s = 0; s < stack; s++) {
                float[] frame = frames[from + p * stack + s];
                for (int b = 0; b < bands; b++) out[p][s * bands + b] = (frame[b] - centre[b]) / input.std()[b];
            }
        }
        return out;
    }

    /** Each band's mean over frames [from, to): the clip's own centre, for a centred input. */
    private static float[] bandMeans(float[][] frames, int from, int to, int bands) {
        double[] sum = new double[bands];
        for (int f = from; f < to; f++) for (int b = 0; b < bands; b++) sum[b] += frames[f][b];
        float[] mean = new float[bands];
        for (int b = 0; b < bands; b++) mean[b] = to > from ? (float) (sum[b] / (to - from)) : 0;
        return mean;
    }

    /** Symbols of a transcription back to text. */
    public String spell(int[] symbols) {
        return CtcPaths.spell(symbols, labels.toArray(String[]::new), symbolUnit.separator);
    }

    /** A transcript's units, characters or words (split at white space), as {@link #symbolsOf} reads them. */
    public static List<String> units(String transcript, SymbolUnit unit) {
        if (unit == SymbolUnit.WORD) return transcript.isBlank() ? List.of() : List.of(transcript.trim().split("\\s+"));
        return transcript.codePoints().mapToObj(cp -> new String(Character.toChars(cp))).toList();
    }

    /** The symbols of a transcript, or an error naming the first character (or word) the model cannot write. */
    public int[] symbolsOf(String transcript) {
        List<String> units = units(transcript, symbolUnit);
        int[] out = new int[units.size()];
        for (int i = 0; i < out.length; i++) {
            int index = labels.indexOf(units.get(i));
            if (index <= 0) throw new IllegalArgumentException((symbolUnit == SymbolUnit.WORD ? "word" : "character") + " '" + units.get(i)
                    + "' is not among the model's symbols " + labels.subList(1, labels.size()));
            out[i] = index;
        }
        return out;
    }

    // ------------------------------------------------------------------ inference

    /** Class probabilities [B][K] of each example. */
    public double[][] classify(List<Example> examples) {
        return Scratch.run(SERVING, () -> classifyHere(examples));
    }

    private double[][] classifyHere(List<Example> examples) {
        SequenceClassifier classifier = (SequenceClassifier) trainable;
        ClassificationHead.Output out = classifier.scores(classifier.batch(examples));
        // read at once: a row at a time made six ND4J objects per example, each tracked by its deallocator
        double[] probabilities = HostValues.doubles(ClassificationHead.softmax(out.logits()));
        int classes = probabilities.length / examples.size();
        double[][] p = new double[examples.size()][];
        for (int b = 0; b < p.length; b++) p[b] = Arrays.copyOfRange(probabilities, b * classes, (b + 1) * classes);
        return p;
    }

    /**
     * Greedy CTC transcription of each example: its path (the best symbol of each position, blanks included), the
     * symbols it collapses to, and their text ({@link CtcPaths}: the one decoding).
     */
    public record Transcription(String text, int[] symbols, int[] path) {}

    public List<Transcription> transcribe(List<Example> examples) {
        return Scratch.run(SERVING, () -> transcribeHere(examples));
    }

    private List<Transcription> transcribeHere(List<Example> examples) {
        SequenceTranscriber transcriber = (SequenceTranscriber) trainable;
        CtcHead.Output out = transcriber.scores(transcriber.encoder().batch(examples), null);
        List<Transcription> result = new ArrayList<>();
        for (double[][] logProbs : out.logProbs()) {
            int[] path = CtcPaths.best(logProbs), symbols = CtcPaths.collapse(path);
            result.add(new Transcription(spell(symbols), symbols, path));
        }
        return result;
    }

    // ------------------------------------------------------------------ files

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = config.toJson();
        ObjectNode ours = root.putObject("reformer_flink");
        ours.put("task", task.name().toLowerCase());
        ArrayNode names = ours.putArray(task == Task.CLASSIFICATION ? "labels" : "symbols");
        labels.forEach(names::add);
        if (task == Task.TRANSCRIPTION) ours.put("symbol_unit", symbolUnit.name().toLowerCase());
        if (task == Task.CLASSIFICATION) {
            ObjectNode id2label = root.putObject("id2label");   // as the reference's classifiers name them
            for (int i = 0; i < labels.size(); i++) id2label.put(String.valueOf(i), labels.get(i));
        }
        ObjectNode in = ours.putObject("input");
        in.put("type", input.audio() ? "audio" : "bytes").put("max_length", input.maxLength());
        if (!input.audio()) in.put("bytes_per_position", input.stack());
        if (input.ngramBuckets() > 0) in.put("ngram_buckets", input.ngramBuckets());
        if (input.audio()) {
            FeatureConfig f = input.features();
            in.put("features", f.kind().name().toLowerCase()).put("mel_bands", f.melBands())
                    .put("mfcc_coefficients", f.mfccCoefficients()).put("low_hz", f.lowHz()).put("high_hz", f.highHz())
                    .put("log_floor", f.logFloor()).put("frame_stack", input.stack());
            if (input.centred()) in.put("centred", true);
            ArrayNode mean = in.putArray("feature_mean"), std = in.putArray("feature_std");
            for (float v : input.mean()) mean.add(v);
            for (float v : input.std()) std.add(v);
        }
        Files.writeString(dir.resolve(ModelFiles.CONFIG), json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        trainable.params().forEach((name, t) -> tensors.put(name, t.castTo(DataType.FLOAT)));
        SafeTensors.write(dir.resolve(ModelFiles.WEIGHTS), tensors, Map.of("format", "pt", "written_by", "reformer-flink train"));
    }

    /** Reads a model directory written by {@link #save}; every problem names the file and what to do. */
    public static TaskModel load(Path dir, DataType dtype) throws IOException {
        Path configFile = dir.resolve(ModelFiles.CONFIG), weightsFile = dir.resolve(ModelFiles.WEIGHTS);
        for (Path p : new Path[]{configFile, weightsFile}) {
            if (!Files.isRegularFile(p)) throw new IOException(p + " is missing: a model directory holds "
                    + ModelFiles.CONFIG + " and " + ModelFiles.WEIGHTS + " (./reformer train writes both)");
        }
        JsonNode root = new ObjectMapper().readTree(configFile.toFile());
        JsonNode ours = root.path("reformer_flink");
        if (!ours.isObject()) throw new IOException(configFile + " has no \"reformer_flink\" section: it is not a model"
                + " trained by ./reformer train (a plain Reformer checkpoint has no head to serve)");
        try {
            ReformerConfig config = ReformerConfig.fromJson(root);
            Task task = Task.valueOf(ours.path("task").asText("").toUpperCase());
            List<String> labels = new ArrayList<>();
            ours.path(task == Task.CLASSIFICATION ? "labels" : "symbols").forEach(n -> labels.add(n.asText()));
            if (labels.size() < 2) throw new IllegalArgumentException("needs at least 2 labels or symbols, has " + labels.size());
            Input input = readInput(ours.path("input"));
            Map<String, INDArray> tensors = SafeTensors.read(weightsFile);
            String headWeight = task == Task.CLASSIFICATION ? SequenceClassifier.HEAD_WEIGHT : SequenceTranscriber.HEAD_WEIGHT;
            String headBias = task == Task.CLASSIFICATION ? SequenceClassifier.HEAD_BIAS : SequenceTranscriber.HEAD_BIAS;
            Map<String, INDArray> encoderTensors = new LinkedHashMap<>(tensors);
            for (String name : List.of(headWeight, headBias, Encoder.PROJECTION_WEIGHT, Encoder.PROJECTION_BIAS, Encoder.NGRAM_TABLE)) encoderTensors.remove(name);
            // one fixed set of rotations for every call: a window's result does not depend on when or with what it is batched
            ReformerModel model = new ReformerModel(config, Params.fromNamed(config, encoderTensors, dtype),
                    Rotations.seeded(config.hashSeed() != null ? config.hashSeed() : SERVING_HASH_SEED));
            INDArray ngrams = input.ngramBuckets() > 0 ? required(tensors, Encoder.NGRAM_TABLE, dtype) : null;
            if (ngrams != null && ngrams.size(0) != input.ngramBuckets()) throw new IllegalArgumentException(Encoder.NGRAM_TABLE + " has "
                    + ngrams.size(0) + " rows for " + input.ngramBuckets() + " ngram_buckets");
            Encoder encoder = input.audio() || input.byteGroups()
                    ? new Encoder(model, required(tensors, Encoder.PROJECTION_WEIGHT, dtype), required(tensors, Encoder.PROJECTION_BIAS, dtype),
                            input.audio() ? 0 : input.stack(), ngrams)
                    : Encoder.ofTokens(model);
            encoder.readOnly();   // a loaded model serves or is evaluated; training starts from ./reformer train
            INDArray w = required(tensors, headWeight, dtype), b = required(tensors, headBias, dtype);
            if (w.size(0) != labels.size()) throw new IllegalArgumentException(headWeight + " has " + w.size(0) + " rows for " + labels.size() + " labels");
            Trainable trainable = task == Task.CLASSIFICATION ? new SequenceClassifier(encoder, w, b) : new SequenceTranscriber(encoder, w, b);
            SymbolUnit unit = SymbolUnit.valueOf(ours.path("symbol_unit").asText("character").toUpperCase());
            return new TaskModel(config, task, labels, unit, input, trainable);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(dir + ": " + e.getMessage() + "; retrain with ./reformer train or restore the directory", e);
        }
    }

    /** The input section of a model's config.json. */
    private static Input readInput(JsonNode in) {
        if ("audio".equals(in.path("type").asText())) {
            FeatureConfig base = FeatureConfig.Kind.valueOf(in.path("features").asText().toUpperCase()) == FeatureConfig.Kind.MFCC
                    ? FeatureConfig.mfcc() : FeatureConfig.logMel();
            FeatureConfig features = new FeatureConfig(base.kind(), in.path("mel_bands").asInt(), in.path("mfcc_coefficients").asInt(),
                    in.path("low_hz").asDouble(), in.path("high_hz").asDouble(), in.path("log_floor").asDouble(),
                    false, base.normalizationFrames(), base.vad());
            float[] mean = floats(in.path("feature_mean")), std = floats(in.path("feature_std"));
            if (mean.length != features.dimension() || std.length != features.dimension()) {
                throw new IllegalArgumentException("feature_mean and feature_std need " + features.dimension() + " values each");
            }
            return new Input(true, in.path("max_length").asInt(), features, in.path("frame_stack").asInt(1), mean, std, 0,
                    in.path("centred").asBoolean(false));
        }
        Input input = Input.bytes(in.path("max_length").asInt(), in.path("bytes_per_position").asInt(1), in.path("ngram_buckets").asInt(0));
        if (input.stack() < 1) throw new IllegalArgumentException("bytes_per_position must be at least 1, not " + input.stack());
        if (input.ngramBuckets() < 0) throw new IllegalArgumentException("ngram_buckets must be 0 or more, not " + input.ngramBuckets());
        return input;
    }

    private static INDArray required(Map<String, INDArray> tensors, String name, DataType dtype) {
        INDArray t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("tensor " + name + " is missing");
        return t.castTo(dtype).dup();
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }

    /**
     * A small default: d_model 64, 2 heads x 32, local and LSH layers alternating, chunk 64, dropout 0.05. byteIds:
     * its input is byte ids through word embeddings (else input vectors, which leave them unused: vocabulary 2).
     */
    public static ReformerConfig defaultConfig(int maxLength, boolean byteIds) {
        return ReformerConfig.builder()
                .hiddenSize(64).numAttentionHeads(2).attentionHeadSize(32).attnLayers(List.of("local", "lsh", "local", "lsh"))
                .numHashes(2).numBuckets(List.of()).lshAttnChunkLength(64).localAttnChunkLength(64)
                .feedForwardSize(128).axialPosShape(List.of(64, maxLength / 64)).axialPosEmbdsDim(List.of(32, 32))
                .maxPositionEmbeddings(maxLength).vocabSize(byteIds ? BYTE_VOCABULARY : 2).initializerRange(0.1).axialNormStd(0.1)
                .hiddenDropoutProb(0.05).localAttentionProbsDropoutProb(0.05).build();
    }
}
