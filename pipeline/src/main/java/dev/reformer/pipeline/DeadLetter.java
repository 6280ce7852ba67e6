package dev.reformer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * An input record the job could not use, with why and where: the original topic, partition, offset, key,
 * value (base64) and headers, the reason (a stable code plus a sentence saying what was wrong and what is
 * accepted) and the stage that refused it. Written as JSON to the dead-letter topic (docs/PROTOCOL.md).
 */
public class DeadLetter {
    public String reason;
    public String detail;
    public String stage;
    public String streamId;
    public RawRecord source;

    public DeadLetter() {}

    public static DeadLetter of(String reason, String detail, String stage, RawRecord source) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.detail = detail;
        d.stage = stage;
        d.source = source;
        d.streamId = source == null ? null : source.keyText();
        return d;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("reason", reason).put("detail", detail).put("stage", stage);
        StreamKeys.putStream(o, streamId);
        if (source != null) {
            o.put("topic", source.topic).put("partition", source.partition).put("offset", source.offset)
                    .put("timestamp", source.timestamp);
            o.put("key_base64", source.key == null ? null : Base64.getEncoder().encodeToString(source.key));
            o.put("value_base64", source.value == null ? null : Base64.getEncoder().encodeToString(source.value));
            ObjectNode headers = o.putObject("headers_base64");
            for (int i = 0; i < source.headerNames.length; i++) {
                headers.put(source.headerNames[i], source.headerValues[i] == null ? null : Base64.getEncoder().encodeToString(source.headerValues[i]));
            }
        }
        return o.toString();
    }
}
