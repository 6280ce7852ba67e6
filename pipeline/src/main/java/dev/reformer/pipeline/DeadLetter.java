package dev.reformer.pipeline;

import dev.reformer.protocol.Codes.Stage;
import dev.reformer.protocol.DeadLetterMessage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.JsonCodec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An input record the job could not use, with why and where: the original topic, partition, offset, key,
 * value (base64) and headers, the reason (a stable code plus a sentence saying what was wrong and what is
 * accepted) and the stage that refused it. Written to the dead-letter topic as a {@link DeadLetterMessage}.
 */
public class DeadLetter {
    public DeadLetterReason reason;
    public String detail;
    public Stage stage;
    public String streamId;
    public RawRecord source;

    public DeadLetter() {}

    public static DeadLetter of(DeadLetterReason reason, String detail, Stage stage, RawRecord source) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.detail = detail;
        d.stage = stage;
        d.source = source;
        d.streamId = source == null ? null : source.keyText();
        return d;
    }

    /** The line of the dead-letter topic. */
    public DeadLetterMessage message() {
        String stream = StreamKeys.display(streamId), streamBase64 = StreamKeys.base64(streamId);
        if (source == null) {
            return new DeadLetterMessage(reason, detail, stage, stream, streamBase64, null, null, null, null, null, null, null);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < source.headerNames.length; i++) headers.put(source.headerNames[i], base64(source.headerValues[i]));
        return new DeadLetterMessage(reason, detail, stage, stream, streamBase64, source.topic, source.partition, source.offset,
                source.timestamp, base64(source.key), base64(source.value), headers);
    }

    public String toJson() {
        return JsonCodec.write(message());
    }

    private static String base64(byte[] bytes) {
        return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
    }
}
