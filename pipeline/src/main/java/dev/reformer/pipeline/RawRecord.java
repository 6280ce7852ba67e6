package dev.reformer.pipeline;

import dev.reformer.protocol.KafkaHeaders;
import java.nio.charset.StandardCharsets;

/**
 * A Kafka record as it arrived, kept whole so that a dead letter can give it back unchanged. A Flink POJO
 * (public fields, no-argument constructor) so that it is serialised without Kryo.
 */
public class RawRecord {
    public String topic;
    public int partition;
    public long offset;
    /** The record's Kafka timestamp (ms): end-to-end latency is measured from it. */
    public long timestamp;
    public byte[] key;
    public byte[] value;
    public String[] headerNames;
    public byte[][] headerValues;

    public RawRecord() {}

    public RawRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                     String[] headerNames, byte[][] headerValues) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
        this.headerNames = headerNames;
        this.headerValues = headerValues;
    }

    /** The last header of that name as UTF-8 text, or null. */
    public String header(String name) {
        for (int i = headerNames.length - 1; i >= 0; i--) {
            if (headerNames[i].equals(name)) return headerValues[i] == null ? null : new String(headerValues[i], StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The headers as the protocol's codec reads them ({@link KafkaHeaders}). */
    public KafkaHeaders.Lookup headers() {
        return this::header;
    }

    /** The stream id of the key: its UTF-8 text, bytes that are not UTF-8 escaped one to one ({@link StreamKeys}). */
    public String keyText() {
        return StreamKeys.of(key);
    }

    public int size() {
        return value == null ? 0 : value.length;
    }
}
