package dev.reformer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hyper-parameters of a Reformer, with the field names of HuggingFace's {@code ReformerConfig}
 * so that a {@code config.json} from that ecosystem reads as is. Defaults are the reference's.
 *
 * <p>The compact constructor checks every rule and names the field that breaks it. Keys of the
 * reference that do not change the computation here (id2label, use_cache, ...) are accepted and
 * ignored; any other key is rejected, so a typo never silently falls back to a default.
 */
public record ReformerConfig(
        int hiddenSize,
        int numAttentionHeads,
        int attentionHeadSize,
        List<String> attnLayers,
        int numHashes,
        List<Integer> numBuckets, // one entry = plain buckets; several = factorised; empty = chosen per length
        int lshAttnChunkLength,
        int lshNumChunksBefore,
        int lshNumChunksAfter,
        int localAttnChunkLength,
        int localNumChunksBefore,
        int localNumChunksAfter,
        boolean isDecoder,
        int feedForwardSize,
        String hiddenAct,
        int chunkSizeFeedForward, // 0 = all positions at once
        boolean axialPosEmbds,
        List<Integer> axialPosShape,
        List<Integer> axialPosEmbdsDim,
        int maxPositionEmbeddings,
        double layerNormEps,
        int vocabSize,
        int padTokenId,
        Long hashSeed, // null = fresh random rotations on every call
        double hiddenDropoutProb,
        double lshAttentionProbsDropoutProb,
        double localAttentionProbsDropoutProb,
        double axialNormStd,
        double initializerRange,
        int streamingContextLength) { // 0 = not a streaming model; see isStreaming()

    public static final Set<String> ACTIVATIONS = Set.of("relu", "gelu", "gelu_new", "silu");

    /** Keys of the reference config that do not affect this implementation. */
    static final Set<String> IGNORED_KEYS = Set.of(
            "output_hidden_states", "return_dict", "dtype", "torch_dtype", "is_encoder_decoder", "id2label",
            "label2id", "problem_type", "chunk_size_lm_head", "eos_token_id", "bos_token_id", "tie_word_embeddings",
            "use_cache", "classifier_dropout", "model_type", "output_attentions", "architectures",
            "transformers_version", "num_labels", "tokenizer_class", "task_specific_params",
            "add_cross_attention", "pruned_heads", "finetuning_task", "tie_encoder_decoder", "_name_or_path",
            "torchscript", "use_bfloat16", "decoder_start_token_id", "sep_token_id", "prefix",
            "cross_attention_hidden_size", "is_composition", "chunk_size_feed_forward_lm_head",
            // what this product's train command adds: the task, its labels and the input (read by the pipeline)
            "reformer_flink");

    public ReformerConfig {
        attnLayers = List.copyOf(attnLayers);
        numBuckets = List.copyOf(numBuckets);
        axialPosShape = List.copyOf(axialPosShape);
        axialPosEmbdsDim = List.copyOf(axialPosEmbdsDim);
        positive("hidden_size", hiddenSize);
        positive("num_attention_heads", numAttentionHeads);
        positive("attention_head_size", attentionHeadSize);
        check(!attnLayers.isEmpty(), "attn_layers", "must name at least one layer, e.g. [\"local\", \"lsh\"]");
        for (String kind : attnLayers) {
            check(kind.equals("lsh") || kind.equals("local"), "attn_layers",
                    "has \"" + kind + "\"; each entry must be \"lsh\" or \"local\"");
        }
        positive("num_hashes", numHashes);
        for (int b : numBuckets) {
            check(b >= 2 && b % 2 == 0, "num_buckets", "has " + b + "; every bucket count must be even and >= 2");
        }
        positive("lsh_attn_chunk_length", lshAttnChunkLength);
        positive("local_attn_chunk_length", localAttnChunkLength);
        nonNegative("lsh_num_chunks_before", lshNumChunksBefore);
        nonNegative("lsh_num_chunks_after", lshNumChunksAfter);
        nonNegative("local_num_chunks_before", localNumChunksBefore);
        nonNegative("local_num_chunks_after", localNumChunksAfter);
        positive("feed_forward_size", feedForwardSize);
        check(ACTIVATIONS.contains(hiddenAct), "hidden_act",
                "is \"" + hiddenAct + "\"; supported: relu, gelu, gelu_new, silu");
        nonNegative("chunk_size_feed_forward", chunkSizeFeedForward);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (axialPosEmbds) {
            check(axialPosShape.size() >= 2, "axial_pos_shape", "needs at least two factors, got " + axialPosShape);
            check(axialPosShape.size() == axialPosEmbdsDim.size(), "axial_pos_embds_dim",
                    "has " + axialPosEmbdsDim.size() + " entries but axial_pos_shape has " + axialPosShape.size());
            check(product(axialPosShape) == maxPositionEmbeddings, "axial_pos_shape",
                    axialPosShape + " multiplies to " + product(axialPosShape) + ", not to max_position_embeddings "
                            + maxPositionEmbeddings);
            int dimSum = axialPosEmbdsDim.stream().mapToInt(Integer::intValue).sum();
            check(dimSum == hiddenSize, "axial_pos_embds_dim",
                    axialPosEmbdsDim + " sums to " + dimSum + ", not to hidden_size " + hiddenSize);
            for (int s : axialPosShape) check(s > 0, "axial_pos_shape", "has a factor " + s + " <= 0");
        }
        check(layerNormEps > 0, "layer_norm_eps", "must be > 0, got " + layerNormEps);
        positive("vocab_size", vocabSize);
        check(padTokenId >= 0 && padTokenId < vocabSize, "pad_token_id",
                "is " + padTokenId + "; must lie in [0, vocab_size " + vocabSize + ")");
        probability("hidden_dropout_prob", hiddenDropoutProb);
        probability("lsh_attention_probs_dropout_prob", lshAttentionProbsDropoutProb);
        probability("local_attention_probs_dropout_prob", localAttentionProbsDropoutProb);
        nonNegative("streaming_context_length", streamingContextLength);
        if (streamingContextLength > 0) {
            String why = "(streaming_context_length is set: the model serves a stream from a cache of its past)";
            check(isDecoder, "is_decoder", "must be true " + why);
            check(!numBuckets.isEmpty() || !attnLayers.contains("lsh"), "num_buckets", "must be set " + why);
            check(hashSeed != null || !attnLayers.contains("lsh"), "hash_seed", "must be set " + why);
            check(localNumChunksAfter == 0, "local_num_chunks_after", "must be 0 " + why);
            check(streamingContextLength >= (localNumChunksBefore + 1) * localAttnChunkLength, "streaming_context_length",
                    "is " + streamingContextLength + ", less than local attention's reach (local_num_chunks_before + 1) x "
                            + "local_attn_chunk_length = " + (localNumChunksBefore + 1) * localAttnChunkLength);
        }
    }

    // ---- derived values ----------------------------------------------------------------------

    public int numHiddenLayers() { return attnLayers.size(); }

    /**
     * A streaming model (streaming_context_length > 0, this product's extension of the reference's config): causal,
     * with no position embeddings (a stream has no position 0 that stays), and LSH attention that a cache of the
     * past can compute hop by hop: each query attends to the most recent keys of its bucket, per hash round, at most
     * streaming_context_length - 1 positions back and at most a chunk window's worth of them, instead of to its
     * neighbours in bucket-sorted chunks.
     */
    public boolean isStreaming() { return streamingContextLength > 0; }

    /** H * D, the width of the attention projections. */
    public int allHeadSize() { return numAttentionHeads * attentionHeadSize; }

    /**
     * The bucket factors LSH attention uses at a sequence length: num_buckets, or when it is unset (null in
     * JSON) the reference's choice for that length, {@link #recommendedBuckets}.
     */
    public List<Integer> bucketsFor(int length) {
        return numBuckets.isEmpty() ? recommendedBuckets(length, lshAttnChunkLength, maxPositionEmbeddings) : numBuckets;
    }

    /** Sequences are padded to a multiple of this (the reference's least common multiple of chunk lengths). */
    public int paddingMultiple() {
        boolean lsh = attnLayers.contains("lsh"), local = attnLayers.contains("local");
        if (lsh && local) return lcm(lshAttnChunkLength, localAttnChunkLength);
        return lsh ? lshAttnChunkLength : localAttnChunkLength;
    }

    /** Sequences not longer than this are never padded: every layer then attends to everything. */
    public int minChunkLength() {
        boolean lsh = attnLayers.contains("lsh"), local = attnLayers.contains("local");
        if (lsh && local) return Math.min(lshAttnChunkLength, localAttnChunkLength);
        return lsh ? lshAttnChunkLength : localAttnChunkLength;
    }

    /**
     * The bucket count the reference picks when num_buckets is unset: about 2 * length / chunk, a power of
     * two, factorised into two factors once it exceeds 2 * max(sqrt(max_positions / chunk), chunk), which
     * keeps the rotation matrices small at long lengths.
     */
    public static List<Integer> recommendedBuckets(int length, int chunkLength, int maxPositions) {
        int pow = 31 - Integer.numberOfLeadingZeros(Math.max(1, 2 * (length / chunkLength)));
        pow = Math.max(pow, 1);
        int limit = 2 * Math.max((int) Math.sqrt((double) maxPositions / chunkLength), chunkLength);
        if ((1 << pow) <= limit) return List.of(1 << pow);
        return List.of(1 << (pow / 2), 1 << (pow - pow / 2));
    }

    // ---- JSON ------------------------------------------------------------------------------

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The reference's defaults (transformers' ReformerConfig), with num_buckets required. */
    public static Builder builder() { return new Builder(); }

    public static ReformerConfig read(Path file) throws IOException {
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(toJson()) + "\n");
    }

    public static ReformerConfig fromJson(String json) {
        try {
            return fromJson(JSON.readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("config is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static ReformerConfig fromJson(JsonNode node) {
        return ReformerConfigJson.read(node);
    }

    public ObjectNode toJson() {
        return ReformerConfigJson.write(this);
    }

    public Builder toBuilder() {
        return builder().hiddenSize(hiddenSize).numAttentionHeads(numAttentionHeads).attentionHeadSize(attentionHeadSize)
                .attnLayers(attnLayers).numHashes(numHashes).numBuckets(numBuckets)
                .lshAttnChunkLength(lshAttnChunkLength).lshNumChunksBefore(lshNumChunksBefore)
                .lshNumChunksAfter(lshNumChunksAfter).localAttnChunkLength(localAttnChunkLength)
                .localNumChunksBefore(localNumChunksBefore).localNumChunksAfter(localNumChunksAfter)
                .isDecoder(isDecoder).feedForwardSize(feedForwardSize).hiddenAct(hiddenAct)
                .chunkSizeFeedForward(chunkSizeFeedForward).axialPosEmbds(axialPosEmbds)
                .axialPosShape(axialPosShape).axialPosEmbdsDim(axialPosEmbdsDim)
                .maxPositionEmbeddings(maxPositionEmbeddings).layerNormEps(layerNormEps).vocabSize(vocabSize)
                .padTokenId(padTokenId).hashSeed(hashSeed).hiddenDropoutProb(hiddenDropoutProb)
                .lshAttentionProbsDropoutProb(lshAttentionProbsDropoutProb)
                .localAttentionProbsDropoutProb(localAttentionProbsDropoutProb).axialNormStd(axialNormStd)
                .initializerRange(initializerRange).streamingContextLength(streamingContextLength);
    }

    // ---- rule helpers ----------------------------------------------------------------------

    private static void check(boolean ok, String field, String message) {
        if (!ok) throw new IllegalArgumentException("config field " + field + " " + message);
    }

    private static void positive(String field, int value) { check(value > 0, field, "must be > 0, got " + value); }

    private static void nonNegative(String field, int value) { check(value >= 0, field, "must be >= 0, got " + value); }

    private static void probability(String field, double p) {
        check(p >= 0 && p < 1, field, "must lie in [0, 1), got " + p);
    }

    private static long product(List<Integer> xs) {
        long p = 1;
        for (int x : xs) p *= x;
        return p;
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) { int t = x % y; x = y; y = t; }
        return a / x * b;
    }


    /** Mutable builder starting from the reference's defaults. */
    public static final class Builder {
        private int hiddenSize = 256, numAttentionHeads = 12, attentionHeadSize = 64;
        private List<String> attnLayers = List.of("local", "lsh", "local", "lsh", "local", "lsh");
        private int numHashes = 1;
        private List<Integer> numBuckets = List.of();
        private int lshAttnChunkLength = 64, lshNumChunksBefore = 1, lshNumChunksAfter = 0;
        private int localAttnChunkLength = 64, localNumChunksBefore = 1, localNumChunksAfter = 0;
        private boolean isDecoder = false;
        private int feedForwardSize = 512;
        private String hiddenAct = "relu";
        private int chunkSizeFeedForward = 0;
        private boolean axialPosEmbds = true;
        private List<Integer> axialPosShape = List.of(64, 64), axialPosEmbdsDim = List.of(64, 192);
        private int maxPositionEmbeddings = 4096;
        private double layerNormEps = 1e-12;
        private int vocabSize = 320, padTokenId = 0;
        private Long hashSeed = null;
        private double hiddenDropoutProb = 0.05, lshAttentionProbsDropoutProb = 0.0;
        private double localAttentionProbsDropoutProb = 0.05, axialNormStd = 1.0, initializerRange = 0.02;
        private int streamingContextLength = 0;
        int declaredLayers = -1;

        private Builder() {}

        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
        public Builder attentionHeadSize(int v) { attentionHeadSize = v; return this; }
        public Builder attnLayers(List<String> v) { attnLayers = v; return this; }
        public Builder numHashes(int v) { numHashes = v; return this; }
        public Builder numBuckets(List<Integer> v) { numBuckets = v; return this; }
        public Builder numBuckets(int v) { numBuckets = List.of(v); return this; }
        public Builder lshAttnChunkLength(int v) { lshAttnChunkLength = v; return this; }
        public Builder lshNumChunksBefore(int v) { lshNumChunksBefore = v; return this; }
        public Builder lshNumChunksAfter(int v) { lshNumChunksAfter = v; return this; }
        public Builder localAttnChunkLength(int v) { localAttnChunkLength = v; return this; }
        public Builder localNumChunksBefore(int v) { localNumChunksBefore = v; return this; }
        public Builder localNumChunksAfter(int v) { localNumChunksAfter = v; return this; }
        public Builder isDecoder(boolean v) { isDecoder = v; return this; }
        public Builder feedForwardSize(int v) { feedForwardSize = v; return this; }
        public Builder hiddenAct(String v) { hiddenAct = v; return this; }
        public Builder chunkSizeFeedForward(int v) { chunkSizeFeedForward = v; return this; }
        public Builder axialPosEmbds(boolean v) { axialPosEmbds = v; return this; }
        public Builder axialPosShape(List<Integer> v) { axialPosShape = v; return this; }
        public Builder axialPosEmbdsDim(List<Integer> v) { axialPosEmbdsDim = v; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder layerNormEps(double v) { layerNormEps = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder padTokenId(int v) { padTokenId = v; return this; }
        public Builder hashSeed(Long v) { hashSeed = v; return this; }
        public Builder hiddenDropoutProb(double v) { hiddenDropoutProb = v; return this; }
        public Builder lshAttentionProbsDropoutProb(double v) { lshAttentionProbsDropoutProb = v; return this; }
        public Builder localAttentionProbsDropoutProb(double v) { localAttentionProbsDropoutProb = v; return this; }
        public Builder axialNormStd(double v) { axialNormStd = v; return this; }
        public Builder initializerRange(double v) { initializerRange = v; return this; }
        public Builder streamingContextLength(int v) { streamingContextLength = v; return this; }

        public ReformerConfig build() {
            return new ReformerConfig(hiddenSize, numAttentionHeads, attentionHeadSize, attnLayers, numHashes,
                    numBuckets, lshAttnChunkLength, lshNumChunksBefore, lshNumChunksAfter, localAttnChunkLength,
                    localNumChunksBefore, localNumChunksAfter, isDecoder, feedForwardSize, hiddenAct,
                    chunkSizeFeedForward, axialPosEmbds, axialPosShape, axialPosEmbdsDim, maxPositionEmbeddings,
                    layerNormEps, vocabSize, padTokenId, hashSeed, hiddenDropoutProb, lshAttentionProbsDropoutProb,
                    localAttentionProbsDropoutProb, axialNormStd, initializerRange, streamingContextLength);
        }

        /** JSON key → setter; the one place where the reference's names meet ours. */
        Map<String, java.util.function.Consumer<JsonNode>> setters() {
            return Map.ofEntries(
                    Map.entry("hidden_size", n -> hiddenSize = integer(n)),
                    Map.entry("num_attention_heads", n -> numAttentionHeads = integer(n)),
                    Map.entry("attention_head_size", n -> attentionHeadSize = integer(n)),
                    Map.entry("attn_layers", n -> attnLayers = strings(n)),
                    Map.entry("num_hashes", n -> numHashes = integer(n)),
                    Map.entry("num_buckets", n -> numBuckets = n.isNull() ? List.of()
                            : n.isArray() ? integers(n) : List.of(integer(n))),
                    Map.entry("lsh_attn_chunk_length", n -> lshAttnChunkLength = integer(n)),
                    Map.entry("lsh_num_chunks_before", n -> lshNumChunksBefore = integer(n)),
                    Map.entry("lsh_num_chunks_after", n -> lshNumChunksAfter = integer(n)),
                    Map.entry("local_attn_chunk_length", n -> localAttnChunkLength = integer(n)),
                    Map.entry("local_num_chunks_before", n -> localNumChunksBefore = integer(n)),
                    Map.entry("local_num_chunks_after", n -> localNumChunksAfter = integer(n)),
                    Map.entry("is_decoder", n -> isDecoder = bool(n)),
                    Map.entry("feed_forward_size", n -> feedForwardSize = integer(n)),
                    Map.entry("hidden_act", n -> hiddenAct = text(n)),
                    Map.entry("chunk_size_feed_forward", n -> chunkSizeFeedForward = integer(n)),
                    Map.entry("axial_pos_embds", n -> axialPosEmbds = bool(n)),
                    Map.entry("axial_pos_shape", n -> axialPosShape = integers(n)),
                    Map.entry("axial_pos_embds_dim", n -> axialPosEmbdsDim = integers(n)),
                    Map.entry("max_position_embeddings", n -> maxPositionEmbeddings = integer(n)),
                    Map.entry("layer_norm_eps", n -> layerNormEps = number(n)),
                    Map.entry("vocab_size", n -> vocabSize = integer(n)),
                    Map.entry("pad_token_id", n -> padTokenId = n.isNull() ? 0 : integer(n)),
                    Map.entry("hash_seed", n -> hashSeed = n.isNull() ? null : (long) integer(n)),
                    Map.entry("hidden_dropout_prob", n -> hiddenDropoutProb = number(n)),
                    Map.entry("lsh_attention_probs_dropout_prob", n -> lshAttentionProbsDropoutProb = number(n)),
                    Map.entry("local_attention_probs_dropout_prob", n -> localAttentionProbsDropoutProb = number(n)),
                    Map.entry("axial_norm_std", n -> axialNormStd = number(n)),
                    Map.entry("initializer_range", n -> initializerRange = number(n)),
                    Map.entry("streaming_context_length", n -> streamingContextLength = integer(n)));
        }

        private static int integer(JsonNode n) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new IllegalArgumentException("must be an integer, got " + n);
            return n.intValue();
        }

        private static double number(JsonNode n) {
            if (!n.isNumber()) throw new IllegalArgumentException("must be a number, got " + n);
            return n.doubleValue();
        }

        private static boolean bool(JsonNode n) {
            if (!n.isBoolean()) throw new IllegalArgumentException("must be true or false, got " + n);
            return n.booleanValue();
        }

        private static String text(JsonNode n) {
            if (!n.isTextual()) throw new IllegalArgumentException("must be a string, got " + n);
            return n.textValue();
        }

        private static List<Integer> integers(JsonNode n) {
            if (!n.isArray()) throw new IllegalArgumentException("must be a list of integers, got " + n);
            List<Integer> out = new ArrayList<>();
            n.forEach(e -> out.add(integer(e)));
            return out;
        }

        private static List<String> strings(JsonNode n) {
            if (!n.isArray()) throw new IllegalArgumentException("must be a list of strings, got " + n);
            List<String> out = new ArrayList<>();
            n.forEach(e -> out.add(text(e)));
            return out;
        }
    }
}
