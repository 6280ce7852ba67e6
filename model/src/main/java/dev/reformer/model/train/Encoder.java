package dev.reformer.model.train;

import dev.reformer.model.HostValues;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Linear;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trunk shared by every task: a Reformer reading token ids, feature frames (audio) through a linear input
 * projection from the frame width to hidden_size, or bytes k at a time (text) through a projection of k
 * concatenated one-hot bytes. Owns the trunk's parameters and their gradients; the heads on top own theirs.
 */
public final class Encoder {
    public static final String PROJECTION_WEIGHT = "input_projection.weight", PROJECTION_BIAS = "input_projection.bias";
    /** Grouped bytes' hashed n-gram vectors, one row per bucket (see {@link HashedNgrams}). */
    public static final String NGRAM_TABLE = "input_ngrams.weight";

    private final ReformerModel model;
    private final INDArray projectionWeight, projectionBias;           // [C, F], [C]; null for token input
    private final Params grads;
    private final INDArray projectionWeightGrad, projectionBiasGrad;
    /** Bytes per position when the input is grouped bytes (see {@link #ofByteGroups}); 0 otherwise. */
    private final int bytesPerPosition;
    /** [buckets, C], or null: grouped bytes without hashed n-grams, or other input. */
    private final INDArray ngramTable, ngramTableGrad;
    /** Set by {@link #readOnly}: no training, and the byte-group table transposed (and the n-gram table read) once. */
    private boolean readOnly;
    private double[] servedByteColumns, servedNgramRows;

    /** Byte values 0..255 per byte of a group: the projection's input width per byte. */
    public static final int BYTE_VALUES = 256;
    /** Ids of bytes in token input, as TaskModel encodes text: byte value + 2 (0 is padding). */
    public static final int BYTE_ID_OFFSET = 2;

    public Encoder(ReformerModel model, INDArray projectionWeight, INDArray projectionBias) {
        this(model, projectionWeight, projectionBias, 0);
    }

    /** Grouped-byte input when bytesPerPosition > 0: the projection is [C, 256 * bytesPerPosition]. */
    public Encoder(ReformerModel model, INDArray projectionWeight, INDArray projectionBias, int bytesPerPosition) {
        this(model, projectionWeight, projectionBias, bytesPerPosition, null);
    }

    /** Grouped bytes with hashed n-grams when ngramTable [buckets, C] is not null. */
    public Encoder(ReformerModel model, INDArray projectionWeight, INDArray projectionBias, int bytesPerPosition, INDArray ngramTable) {
        if (ngramTable != null && (bytesPerPosition < 1 || ngramTable.rank() != 2 || ngramTable.size(1) != model.config().hiddenSize())) {
            throw new IllegalArgumentException(NGRAM_TABLE + " needs grouped-byte input and " + model.config().hiddenSize()
                    + " columns (hidden_size); it has shape " + java.util.Arrays.toString(ngramTable.shape()));
        }
        this.ngramTable = ngramTable;
        this.ngramTableGrad = ngramTable == null ? null : Nd4j.zerosLike(ngramTable);
        if (bytesPerPosition > 0 && projectionWeight.size(1) != (long) BYTE_VALUES * bytesPerPosition) {
            throw new IllegalArgumentException(PROJECTION_WEIGHT + " has " + projectionWeight.size(1) + " columns; "
                    + bytesPerPosition + " bytes per position need " + BYTE_VALUES * bytesPerPosition);
        }
        this.bytesPerPosition = bytesPerPosition;
        this.model = model;
        this.projectionWeight = projectionWeight;
        this.projectionBias = projectionBias;
        DataType dtype = model.params().wordEmbeddings.dataType();
        this.grads = Params.zeros(model.config(), dtype);
        this.projectionWeightGrad = projectionWeight == null ? null : Nd4j.zerosLike(projectionWeight);
        this.projectionBiasGrad = projectionBias == null ? null : Nd4j.zerosLike(projectionBias);
    }

    public static Encoder ofTokens(ReformerModel model) {
        return new Encoder(model, null, null);
    }

    /** Feature input of width featureDims, with a fresh projection initialised as the reference initialises linear layers. */
    public static Encoder ofFeatures(ReformerModel model, int featureDims, long seed) {
        int hidden = model.config().hiddenSize();
        return new Encoder(model, initialWeight(model, hidden, featureDims, seed),
                Nd4j.zeros(model.params().wordEmbeddings.dataType(), hidden));
    }

    /**
     * Text read bytesPerPosition bytes at a time: position t's input vector is
     * bias + sum_j W[:, 256 j + byte(t k + j)], the input projection of the group's concatenated one-hot bytes (a
     * strided convolution of width and stride k over one-hot bytes), computed by lookup. k times fewer positions
     * make the trunk k times cheaper; what it costs in accuracy is measured in docs/BENCHMARKS.md.
     */
    public static Encoder ofByteGroups(ReformerModel model, int bytesPerPosition, long seed) {
        return ofByteGroups(model, bytesPerPosition, 0, seed);
    }

    /**
     * The same, plus, when ngramBuckets > 0, a learnt vector per bucket of hashed character n-grams, words and word
     * pairs ({@link HashedNgrams}), added to the position where the feature ends: x[b, t] += sum_f E[bucket(f)].
     */
    public static Encoder ofByteGroups(ReformerModel model, int bytesPerPosition, int ngramBuckets, long seed) {
        if (bytesPerPosition < 1) throw new IllegalArgumentException("bytes per position must be at least 1, not " + bytesPerPosition);
        if (ngramBuckets < 0) throw new IllegalArgumentException("n-gram buckets must be 0 (none) or more, not " + ngramBuckets);
        int hidden = model.config().hiddenSize();
        return new Encoder(model, initialWeight(model, hidden, BYTE_VALUES * bytesPerPosition, seed),
                Nd4j.zeros(model.params().wordEmbeddings.dataType(), hidden), bytesPerPosition,
                ngramBuckets == 0 ? null : initialWeight(model, ngramBuckets, hidden, seed + 1));
    }

    /** A linear layer's weight [rows, cols] ~ N(0, initializer_range), as the reference initialises them, in the model's type. */
    static INDArray initialWeight(ReformerModel model, int rows, int cols, long seed) {
        Random random = new Random(seed);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = random.nextGaussian() * model.config().initializerRange();
        return Nd4j.create(w, new long[]{rows, cols}, DataType.DOUBLE).castTo(model.params().wordEmbeddings.dataType());
    }

    public ReformerModel model() { return model; }

    /** Width of a feature frame; 0 when the input is token ids or grouped bytes. */
    public int featureDims() { return projectionWeight == null || bytesPerPosition > 0 ? 0 : (int) projectionWeight.size(1); }

    /** Bytes per position of grouped-byte input; 0 for token ids or features. */
    public int bytesPerPosition() { return bytesPerPosition; }

    /** Buckets of hashed n-grams of grouped-byte input; 0 when there are none. */
    public int ngramBuckets() { return ngramTable == null ? 0 : (int) ngramTable.size(0); }

    /**
     * A padded batch: ids [B][T] or features [B, T, F], the mask [B][T] (1 real, 0 padding) and each row's
     * real length (a prefix). For grouped bytes, ids are [B][T k] byte ids and mask and lengths count positions.
     */
    public record Batch(int[][] ids, INDArray features, int[][] mask, int[] lengths) {
        public int size() { return lengths.length; }
    }

    /** Pads examples to the longest one. */
    public Batch batch(List<Example> examples) {
        if (bytesPerPosition > 0) return byteGroupBatch(examples);
        int length = examples.stream().mapToInt(Example::length).max().orElse(1);
        int rows = examples.size(), dims = featureDims();
        int[][] mask = new int[rows][length];
        int[] lengths = new int[rows];
        int[][] ids = dims == 0 ? new int[rows][length] : null;
        float[] features = dims == 0 ? null : new float[rows * length * dims];
        for (int i = 0; i < rows; i++) {
            Example e = examples.get(i);
            lengths[i] = e.length();
            java.util.Arrays.fill(mask[i], 0, e.length(), 1);
            if (dims == 0) {
                if (e.ids() == null) throw new IllegalArgumentException("this model reads token ids; the example has features");
                System.arraycopy(e.ids(), 0, ids[i], 0, e.length());
            } else {
                if (e.features() == null) throw new IllegalArgumentException("this model reads feature frames; the example has token ids");
                for (int t = 0; t < e.length(); t++) {
                    if (e.features()[t].length != dims) throw new IllegalArgumentException("frame " + t + " has "
                            + e.features()[t].length + " values, the model's input projection takes " + dims);
                    System.arraycopy(e.features()[t], 0, features, (i * length + t) * dims, dims);
                }
            }
        }
        INDArray featureArray = features == null ? null
                : Nd4j.create(features, new long[]{rows, length, dims}).castTo(model.params().wordEmbeddings.dataType());
        return new Batch(ids, featureArray, mask, lengths);
    }

    private Batch byteGroupBatch(List<Example> examples) {
        int k = bytesPerPosition, rows = examples.size();
        int length = examples.stream().mapToInt(e -> (e.length() + k - 1) / k).max().orElse(1);
        int[][] bytes = new int[rows][length * k], mask = new int[rows][length];
        int[] lengths = new int[rows];
        for (int i = 0; i < rows; i++) {
            Example e = examples.get(i);
            if (e.ids() == null) throw new IllegalArgumentException("this model reads bytes; the example has features");
            System.arraycopy(e.ids(), 0, bytes[i], 0, e.length());
            lengths[i] = (e.length() + k - 1) / k;
            java.util.Arrays.fill(mask[i], 0, lengths[i], 1);
        }
        return new Batch(bytes, null, mask, lengths);
    }

    public Map<String, INDArray> params() {
        Map<String, INDArray> m = new LinkedHashMap<>(model.params().named());
        if (projectionWeight != null) {
            m.put(PROJECTION_WEIGHT, projectionWeight);
            m.put(PROJECTION_BIAS, projectionBias);
        }
        if (ngramTable != null) m.put(NGRAM_TABLE, ngramTable);
        return m;
    }

    public Map<String, INDArray> gradients() {
        Map<String, INDArray> m = new LinkedHashMap<>(grads.named());
        if (projectionWeight != null) {
            m.put(PROJECTION_WEIGHT, projectionWeightGrad);
            m.put(PROJECTION_BIAS, projectionBiasGrad);
        }
        if (ngramTable != null) m.put(NGRAM_TABLE, ngramTableGrad);
        return m;
    }

    public void zeroGradients() {
        grads.zero();
        if (projectionWeight != null) {
            projectionWeightGrad.assign(0);
            projectionBiasGrad.assign(0);
        }
        if (ngramTable != null) ngramTableGrad.assign(0);
    }

    /** The last hidden state [B, T, 2C]; training runs with dropout and keeps what backward needs. */
    public ReformerModel.Output forward(Batch batch, boolean training) {
        if (training && readOnly) throw new IllegalStateException("this encoder serves a loaded model and does not train;"
                + " train a model with ./reformer train (it resumes from its checkpoint/ directory)");
        if (bytesPerPosition > 0) {
            INDArray grouped = lookUpByteGroups(batch.ids(), batch.mask()[0].length);
            return training ? model.forwardEmbeddingsForTraining(grouped, batch.mask()) : model.forwardEmbeddings(grouped, batch.mask());
        }
        if (batch.ids() != null) {
            return training ? model.forwardForTraining(batch.ids(), batch.mask()) : model.forward(batch.ids(), batch.mask());
        }
        INDArray projected = project(batch.features());
        return training ? model.forwardEmbeddingsForTraining(projected, batch.mask()) : model.forwardEmbeddings(projected, batch.mask());
    }

    /** Frames [B, T, F] to input vectors [B, T, C]. */
    private INDArray project(INDArray features) {
        long rows = features.size(0), length = features.size(1);
        return Linear.forward(features.reshape(rows * length, features.size(2)), projectionWeight, projectionBias)
                .reshape(rows, length, projectionWeight.size(0));
    }

    /**
     * Forward of the grouped-byte projection: x[b, t] = bias + sum_j W[:, 256 j + byte(b, t k + j)], bytes given as
     * ids (value + 2; 0, padding, adds nothing). Returns [B, T, C].
     */
    private INDArray lookUpByteGroups(int[][] ids, int length) {
        int rows = ids.length, k = bytesPerPosition, hidden = (int) projectionWeight.size(0);
        double[] columns = servedByteColumns != null ? servedByteColumns : byteColumns(BYTE_TABLE.get());
        double[] bias = HostValues.doubles(projectionBias), x = new double[hidden];
        double[] ngramRows = ngramTable == null ? null : servedNgramRows != null ? servedNgramRows : HostValues.doubles(ngramTable);
        HostValues.Writer out = new HostValues.Writer(projectionWeight.dataType(), rows, length, hidden);
        for (int b = 0; b < rows; b++) {
            int[][] ngrams = ngramRows == null ? null : HashedNgrams.of(ids[b], length, k, (int) ngramTable.size(0));
            for (int t = 0; t < length; t++) {
                System.arraycopy(bias, 0, x, 0, hidden);
                for (int j = 0; j < k; j++) {
                    int id = ids[b][t * k + j];
                    if (id == 0) continue;
                    int from = (BYTE_VALUES * j + id - BYTE_ID_OFFSET) * hidden;
                    for (int c = 0; c < hidden; c++) x[c] += columns[from + c];
                }
                if (ngrams != null) {
                    for (int bucket : ngrams[t]) {
                        for (int c = 0; c < hidden; c++) x[c] += ngramRows[bucket * hidden + c];
                    }
                }
                out.put((b * length + t) * hidden, x);
            }
        }
        return out.array;
    }

    /**
     * The projection's columns as rows, [256 k][C], so that the lookup reads a byte's column contiguously. scratch
     * holds {weight, transpose} arrays that are reused when their size fits: a forward serving 16 messages otherwise
     * made 3 MB of garbage here, and the collector's pauses showed in the job's latency.
     */
    private double[] byteColumns(double[][] scratch) {
        int hidden = (int) projectionWeight.size(0), width = BYTE_VALUES * bytesPerPosition;
        if (scratch[0].length != hidden * width) scratch[0] = new double[hidden * width];
        if (scratch[1].length != hidden * width) scratch[1] = new double[hidden * width];
        double[] weight = HostValues.doubles(projectionWeight, scratch[0]), columns = scratch[1];
        for (int c = 0; c < hidden; c++) {
            for (int j = 0; j < width; j++) columns[j * hidden + c] = weight[c * width + j];
        }
        return columns;
    }

    /**
     * Promises that this encoder's weights no longer change, as for a model loaded to serve: the byte-group table
     * is transposed once here rather than in every forward pass (at one message per pass the transpose of its
     * 131,072 weights cost about as much as the rest of the input layer). Training it afterwards is refused.
     */
    public Encoder readOnly() {
        if (bytesPerPosition > 0) servedByteColumns = byteColumns(new double[][]{new double[0], new double[0]});
        if (ngramTable != null) servedNgramRows = HostValues.doubles(ngramTable);
        readOnly = true;
        return this;
    }

    private static final ThreadLocal<double[][]> BYTE_TABLE = ThreadLocal.withInitial(() -> new double[][]{new double[0], new double[0]});

    /** Backward of {@link #lookUpByteGroups}: each byte's column of dW gets the dx of its position; dBias the sum. */
    private void lookUpByteGroupsBackward(int[][] ids, INDArray dInputs) {
        int rows = ids.length, length = (int) dInputs.size(1), k = bytesPerPosition, hidden = (int) projectionWeight.size(0);
        double[] dx = HostValues.doubles(dInputs);
        double[] dColumns = new double[BYTE_VALUES * k * hidden], dBias = new double[hidden];
        double[] dNgrams = ngramTable == null ? null : new double[(int) ngramTable.length()];
        for (int b = 0; b < rows; b++) {
            int[][] ngrams = dNgrams == null ? null : HashedNgrams.of(ids[b], length, k, (int) ngramTable.size(0));
            for (int t = 0; t < length; t++) {
                int at = (b * length + t) * hidden;
                for (int c = 0; c < hidden; c++) dBias[c] += dx[at + c];
                if (ngrams != null) {
                    for (int bucket : ngrams[t]) {
                        for (int c = 0; c < hidden; c++) dNgrams[bucket * hidden + c] += dx[at + c];
                    }
                }
                for (int j = 0; j < k; j++) {
                    int id = ids[b][t * k + j];
                    if (id == 0) continue;
                    int to = (BYTE_VALUES * j + id - BYTE_ID_OFFSET) * hidden;
                    for (int c = 0; c < hidden; c++) dColumns[to + c] += dx[at + c];
                }
            }
        }
        DataType dtype = projectionWeight.dataType();
        projectionWeightGrad.addi(Nd4j.create(dColumns, new long[]{BYTE_VALUES * k, hidden}, DataType.DOUBLE).castTo(dtype).transpose());
        projectionBiasGrad.addi(Nd4j.create(dBias, new long[]{hidden}, DataType.DOUBLE).castTo(dtype));
        if (dNgrams != null) ngramTableGrad.addi(Nd4j.create(dNgrams, ngramTable.shape(), DataType.DOUBLE).castTo(dtype));
    }

    /** Adds the gradients of the trunk (and projection) for dLastHidden [B, T, 2C]; consumes output's cache. */
    public void backward(Batch batch, ReformerModel.Output output, INDArray dLastHidden) {
        INDArray dInputs = model.backward(output, dLastHidden, grads);
        if (bytesPerPosition > 0) {
            lookUpByteGroupsBackward(batch.ids(), dInputs);
            return;
        }
        if (batch.features() != null) {
            long rows = batch.features().size(0), length = batch.features().size(1);
            Linear.backward(batch.features().reshape(rows * length, batch.features().size(2)), projectionWeight,
                    dInputs.reshape(rows * length, dInputs.size(2)), projectionWeightGrad, projectionBiasGrad);
        }
    }
}
