package dev.reformer.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.protocol.Codes.Input;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The one JSON codec of the output and control topics: {@link ResultMessage}, {@link DeadLetterMessage} and
 * {@link ControlMessage} to and from their JSON (field names as docs/PROTOCOL.md spells them, on the records).
 */
public final class JsonCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonCodec() {}

    /** A result, dead letter or control message as one line of JSON. */
    public static String write(Object message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a protocol record could not be written as JSON: " + message, e);
        }
    }

    public static ResultMessage readResult(String json) {
        return read(json, ResultMessage.class);
    }

    public static ResultMessage readResult(byte[] json) {
        return readResult(new String(json, StandardCharsets.UTF_8));
    }

    public static DeadLetterMessage readDeadLetter(String json) {
        return read(json, DeadLetterMessage.class);
    }

    public static DeadLetterMessage readDeadLetter(byte[] json) {
        return readDeadLetter(new String(json, StandardCharsets.UTF_8));
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException("not a " + type.getSimpleName() + " of docs/PROTOCOL.md: " + json, e);
        }
    }

    /**
     * A control message, its fields checked (the files they name are the reader's to check); refused:
     * control_not_json, control_bad_field.
     */
    public static ControlMessage readControl(byte[] message) throws ProtocolException {
        JsonNode m;
        try {
            m = JSON.readTree(message);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException(DeadLetterReason.CONTROL_NOT_JSON, "the control message is not JSON: " + e.getMessage());
        }
        if (m == null || m.isMissingNode()) {
            throw new ProtocolException(DeadLetterReason.CONTROL_NOT_JSON, "the control message is empty; send a JSON object");
        }
        String input = m.path("input").asText(""), name = m.path("name").asText(""), path = m.path("path").asText("");
        String sha = m.path("sha256").asText("").toLowerCase(Locale.ROOT);
        if (!input.equals(Input.AUDIO.code()) && !input.equals(Input.TEXT.code())) {
            throw new ProtocolException(DeadLetterReason.CONTROL_BAD_FIELD, "\"input\" must be audio or text, got '" + input + "'");
        }
        if (name.isBlank() || path.isBlank()) throw new ProtocolException(DeadLetterReason.CONTROL_BAD_FIELD, "\"name\" and \"path\" are required");
        if (!sha.matches("[0-9a-f]{64}")) {
            throw new ProtocolException(DeadLetterReason.CONTROL_BAD_FIELD, "\"sha256\" must be 64 hex digits (sha256sum of model.safetensors)");
        }
        return new ControlMessage(Input.of(input), name, path, sha);
    }
}
