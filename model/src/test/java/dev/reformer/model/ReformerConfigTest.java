package dev.reformer.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReformerConfigTest {

    @Test
    void roundTripsThroughJsonWithTheReferenceNames() {
        ReformerConfig config = TestData.small().numBuckets(List.of(4, 8)).hiddenAct("gelu_new").isDecoder(true).build();
        String json = config.toJson().toString();
        assertTrue(json.contains("\"num_buckets\":[4,8]") && json.contains("\"lsh_attn_chunk_length\":8"), json);
        assertEquals(config, ReformerConfig.fromJson(json));
        ReformerConfig plain = TestData.small().numBuckets(6).hashSeed(null).build();
        assertTrue(plain.toJson().toString().contains("\"num_buckets\":6"));
        assertEquals(plain, ReformerConfig.fromJson(plain.toJson().toString()));
    }

    @Test
    void readsAReferenceConfigWithItsExtraKeysAndDefaults() {
        ReformerConfig c = ReformerConfig.fromJson("{\"num_buckets\": [8, 16], \"id2label\": {\"0\": \"A\"},"
                + " \"architectures\": [\"ReformerModelWithLMHead\"], \"is_decoder\": true}");
        assertEquals(List.of(8, 16), c.numBuckets());
        assertEquals(List.of(8, 16), c.bucketsFor(100_000));
        assertEquals(256, c.hiddenSize());
        assertEquals(List.of("local", "lsh", "local", "lsh", "local", "lsh"), c.attnLayers());
        assertNull(c.hashSeed());
    }

    @Test
    void rejectsUnknownAndInconsistentFieldsNamingThem() {
        assertMessage("{\"num_buckets\": 4, \"num_hash\": 2}", "num_hash is unknown");
        assertMessage("{\"num_buckets\": 5}", "num_buckets has 5");
        assertMessage("{\"num_buckets\": 4, \"hidden_act\": \"tanh\"}", "hidden_act is \"tanh\"");
        assertMessage("{\"num_buckets\": 4, \"attn_layers\": [\"lsh\", \"dense\"]}", "attn_layers has \"dense\"");
        assertMessage("{\"num_buckets\": 4, \"axial_pos_embds_dim\": [64, 64]}", "axial_pos_embds_dim [64, 64] sums to 128");
        assertMessage("{\"num_buckets\": 4, \"axial_pos_shape\": [64, 32]}", "axial_pos_shape [64, 32] multiplies to 2048");
        assertMessage("{\"num_buckets\": 4, \"hidden_size\": \"big\"}", "hidden_size: must be an integer");
        assertMessage("{\"num_buckets\": 4, \"num_hidden_layers\": 3}", "num_hidden_layers is 3");
        assertMessage("{\"num_buckets\": 4, \"pad_token_id\": 400}", "pad_token_id is 400");
    }

    @Test
    void unsetBucketsAreChosenPerLengthAsTheReferenceDoes() {
        ReformerConfig c = ReformerConfig.fromJson(
                "{\"num_buckets\": null, \"max_position_embeddings\": 16384, \"axial_pos_embds\": false}");
        assertEquals(List.of(32), c.bucketsFor(1024));     // 2 * 1024 / 64
        assertEquals(List.of(16, 32), c.bucketsFor(16384)); // 512 > 2 * max(sqrt(16384 / 64), 64): factorised
        assertTrue(c.toJson().get("num_buckets").isNull());
    }

    @Test
    void recommendsBucketsAsTheReferenceDoes() {
        assertEquals(List.of(32), ReformerConfig.recommendedBuckets(1024, 64, 1024));
        assertEquals(List.of(128), ReformerConfig.recommendedBuckets(4096, 64, 4096));
        assertEquals(List.of(16, 32), ReformerConfig.recommendedBuckets(16384, 64, 16384));
        assertEquals(List.of(32, 64), ReformerConfig.recommendedBuckets(65536, 64, 65536));
    }

    private static void assertMessage(String json, String expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> ReformerConfig.fromJson(json));
        assertTrue(e.getMessage().contains(expected), "message \"" + e.getMessage() + "\" lacks \"" + expected + "\"");
    }
}
