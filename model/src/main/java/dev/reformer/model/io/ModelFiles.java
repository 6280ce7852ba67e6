package dev.reformer.model.io;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model directory as the reference ecosystem writes it: {@code config.json} (ReformerConfig fields) and
 * {@code model.safetensors} (tensors under the reference's names). A checkpoint of a model with a head
 * (names prefixed {@code reformer.}) loads too; the head's tensors are not part of the encoder.
 */
public final class ModelFiles {
    public static final String CONFIG = "config.json", WEIGHTS = "model.safetensors";
    private static final String ENCODER_PREFIX = "reformer.";

    private ModelFiles() {}

    /** Writes config.json and model.safetensors (float32) into dir, creating it. */
    public static void save(ReformerModel model, Path dir) throws IOException {
        Files.createDirectories(dir);
        model.config().write(dir.resolve(CONFIG));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        model.params().named().forEach((name, t) -> tensors.put(name, t.castTo(DataType.FLOAT)));
        SafeTensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt", "written_by", "reformer-flink"));
    }

    /** Reads a model directory, computing in dtype; fails naming every missing, extra or misshapen tensor. */
    public static ReformerModel load(Path dir, DataType dtype) throws IOException {
        Path configFile = dir.resolve(CONFIG), weightsFile = dir.resolve(WEIGHTS);
        for (Path p : new Path[]{configFile, weightsFile}) {
            if (!Files.isRegularFile(p)) {
                throw new IOException(p + " is missing: a model directory holds " + CONFIG + " and " + WEIGHTS);
            }
        }
        ReformerConfig config = ReformerConfig.read(configFile);
        Map<String, INDArray> encoder = new LinkedHashMap<>();
        for (var e : SafeTensors.read(weightsFile).entrySet()) {
            String name = e.getKey();
            if (name.startsWith(ENCODER_PREFIX)) encoder.put(name.substring(ENCODER_PREFIX.length()), e.getValue());
            else if (!name.startsWith("lm_head.") && !name.startsWith("qa_outputs.") && !name.startsWith("classifier.")) {
                encoder.put(name, e.getValue());
            }
        }
        try {
            return new ReformerModel(config, Params.fromNamed(config, encoder, dtype));
        } catch (IllegalArgumentException e) {
            throw new IOException(weightsFile + ": " + e.getMessage() + ". Was it written for this " + CONFIG + "?", e);
        }
    }
}
