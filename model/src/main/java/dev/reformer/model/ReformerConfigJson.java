package dev.reformer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** A {@link ReformerConfig} as transformers' config.json spells it: snake_case keys, the reference's defaults. */
final class ReformerConfigJson {
    private ReformerConfigJson() {}

    static ReformerConfig read(JsonNode node) {
        if (node == null || !node.isObject()) throw new IllegalArgumentException("config must be a JSON object");
        ReformerConfig.Builder b = ReformerConfig.builder();
        Map<String, java.util.function.Consumer<JsonNode>> setters = b.setters();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            var setter = setters.get(field.getKey());
            if (setter != null) {
                try {
                    setter.accept(field.getValue());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("config field " + field.getKey() + ": " + e.getMessage(), e);
                }
            } else if (field.getKey().equals("num_hidden_layers")) {
                b.declaredLayers = field.getValue().asInt(-1);
            } else if (!ReformerConfig.IGNORED_KEYS.contains(field.getKey())) {
                throw new IllegalArgumentException("config field " + field.getKey()
                        + " is unknown; check its spelling against transformers' ReformerConfig");
            }
        }
        ReformerConfig config = b.build();
        if (b.declaredLayers >= 0 && b.declaredLayers != config.numHiddenLayers()) {
            throw new IllegalArgumentException("config field num_hidden_layers is " + b.declaredLayers
                    + " but attn_layers names " + config.numHiddenLayers() + " layers");
        }
        return config;
    }

    static ObjectNode write(ReformerConfig c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("model_type", "reformer");
        o.put("hidden_size", c.hiddenSize());
        o.put("num_attention_heads", c.numAttentionHeads());
        o.put("attention_head_size", c.attentionHeadSize());
        ArrayNode layers = o.putArray("attn_layers");
        c.attnLayers().forEach(layers::add);
        o.put("num_hidden_layers", c.numHiddenLayers());
        o.put("num_hashes", c.numHashes());
        if (c.numBuckets().isEmpty()) o.putNull("num_buckets");
        else if (c.numBuckets().size() == 1) o.put("num_buckets", c.numBuckets().get(0));
        else intArray(o, "num_buckets", c.numBuckets());
        o.put("lsh_attn_chunk_length", c.lshAttnChunkLength());
        o.put("lsh_num_chunks_before", c.lshNumChunksBefore());
        o.put("lsh_num_chunks_after", c.lshNumChunksAfter());
        o.put("local_attn_chunk_length", c.localAttnChunkLength());
        o.put("local_num_chunks_before", c.localNumChunksBefore());
        o.put("local_num_chunks_after", c.localNumChunksAfter());
        o.put("is_decoder", c.isDecoder());
        o.put("feed_forward_size", c.feedForwardSize());
        o.put("hidden_act", c.hiddenAct());
        o.put("chunk_size_feed_forward", c.chunkSizeFeedForward());
        o.put("axial_pos_embds", c.axialPosEmbds());
        intArray(o, "axial_pos_shape", c.axialPosShape());
        intArray(o, "axial_pos_embds_dim", c.axialPosEmbdsDim());
        o.put("max_position_embeddings", c.maxPositionEmbeddings());
        o.put("layer_norm_eps", c.layerNormEps());
        o.put("vocab_size", c.vocabSize());
        o.put("pad_token_id", c.padTokenId());
        if (c.hashSeed() == null) o.putNull("hash_seed");
        else o.put("hash_seed", c.hashSeed());
        o.put("hidden_dropout_prob", c.hiddenDropoutProb());
        o.put("lsh_attention_probs_dropout_prob", c.lshAttentionProbsDropoutProb());
        o.put("local_attention_probs_dropout_prob", c.localAttentionProbsDropoutProb());
        o.put("axial_norm_std", c.axialNormStd());
        o.put("initializer_range", c.initializerRange());
        if (c.isStreaming()) o.put("streaming_context_length", c.streamingContextLength());
        return o;
    }


    private static void intArray(ObjectNode o, String name, List<Integer> values) {
        ArrayNode a = o.putArray(name);
        values.forEach(a::add);
    }
}
