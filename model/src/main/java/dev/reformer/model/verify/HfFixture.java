package dev.reformer.model.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.model.ReformerConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reference fixture file: {"config": {...}, "notes": "...", "tensors": {NAME: {"shape": [...], "data": [...]}}}
 * with row-major float64 data (see shared/fixtures/hf-reformer/README.md).
 */
public record HfFixture(Path file, ReformerConfig config, String notes, Map<String, INDArray> tensors) {

    public static HfFixture read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + " is not a readable JSON fixture: " + e.getMessage(), e);
        }
        if (!root.has("config") || !root.has("tensors")) {
            throw new IllegalArgumentException(file + " is not a reference fixture: it needs \"config\" and \"tensors\"");
        }
        ReformerConfig config = ReformerConfig.fromJson(root.get("config"));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        root.get("tensors").fields().forEachRemaining(e -> tensors.put(e.getKey(), tensor(file, e.getKey(), e.getValue())));
        return new HfFixture(file, config, root.path("notes").asText(""), tensors);
    }

    /** The tensor, or a clear failure naming the fixture and the missing name. */
    public INDArray get(String name) {
        INDArray t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(file + " has no tensor \"" + name + "\"; it has " + tensors.keySet());
        return t;
    }

    public boolean has(String name) { return tensors.containsKey(name); }

    private static INDArray tensor(Path file, String name, JsonNode node) {
        JsonNode shapeNode = node.get("shape"), dataNode = node.get("data");
        if (shapeNode == null || dataNode == null || !shapeNode.isArray() || !dataNode.isArray()) {
            throw new IllegalArgumentException(file + ": tensor " + name + " needs \"shape\" and \"data\" arrays");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) count *= (shape[i] = shapeNode.get(i).asLong());
        if (count != dataNode.size()) throw new IllegalArgumentException(file + ": tensor " + name + " has shape "
                + shapeNode + " (" + count + " values) but " + dataNode.size() + " values");
        double[] data = new double[dataNode.size()];
        for (int i = 0; i < data.length; i++) data[i] = dataNode.get(i).asDouble();
        return shape.length == 0 ? Nd4j.scalar(data[0]) : Nd4j.create(data, shape, DataType.DOUBLE);
    }
}
