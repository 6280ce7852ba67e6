package dev.reformer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.reformer.protocol.Codes.Stage;
import java.util.Map;

/**
 * One line of the {@code dead-letters} topic (docs/PROTOCOL.md): why a record was refused, by which stage, and the
 * record itself (key, value and headers in base64) with where it was read. A refused window of the model
 * ({@code inference_failed}) gives back no record: its source fields are null (and not written).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"reason", "detail", "stage", "stream", "stream_base64", "topic", "partition", "offset", "timestamp",
        "key_base64", "value_base64", "headers_base64"})
public record DeadLetterMessage(
        DeadLetterReason reason,
        String detail,
        Stage stage,
        String stream,
        @JsonProperty("stream_base64") String streamBase64,
        String topic,
        Integer partition,
        Long offset,
        Long timestamp,
        @JsonProperty("key_base64") String keyBase64,
        @JsonProperty("value_base64") String valueBase64,
        @JsonProperty("headers_base64") Map<String, String> headersBase64) {}
