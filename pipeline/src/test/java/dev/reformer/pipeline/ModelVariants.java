package dev.reformer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/** Variants of a shipped model that a running job must refuse or accept, for the tests of model swaps (here and in tests/). */
public final class ModelVariants {
    private ModelVariants() {}

    /**
     * A copy of the model in {@code copy} whose front-end has 40 mel bands (means and deviations cut to match); its
     * weights as they are, or with one bit of the last tensor's data flipped (a new version that still loads).
     */
    public static Path fortyBands(Path model, Path copy, boolean changeWeights) throws Exception {
        Files.createDirectories(copy);
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        if (changeWeights) weights[weights.length - 3] ^= 0x01;
        Files.write(copy.resolve("model.safetensors"), weights);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(model.resolve("config.json").toFile());
        ObjectNode input = (ObjectNode) config.path("reformer_flink").path("input");
        input.put("mel_bands", 40);
        for (String field : new String[]{"feature_mean", "feature_std"}) {
            ArrayNode cut = json.createArrayNode();
            for (int i = 0; i < 40; i++) cut.add(input.path(field).get(i));
            input.set(field, cut);
        }
        Files.writeString(copy.resolve("config.json"), json.writeValueAsString(config));
        return copy;
    }
}
