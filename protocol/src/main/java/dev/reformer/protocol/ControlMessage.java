package dev.reformer.protocol;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.reformer.protocol.Codes.Input;

/**
 * One message of {@code models-control}: serve the model in directory {@code path} (readable by every TaskManager)
 * for {@code input}, if its {@code model.safetensors} has this SHA-256 (lower-case hex).
 */
@JsonPropertyOrder({"input", "name", "path", "sha256"})
public record ControlMessage(Input input, String name, String path, String sha256) {}
