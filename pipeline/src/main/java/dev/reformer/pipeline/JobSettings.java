package dev.reformer.pipeline;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything the job is told: Kafka, topics, models, windowing, batching and checkpointing. One record, so the
 * functions of the job receive exactly what the command line and the config file said (see {@code RunCommand}).
 *
 * @param kafkaProperties   passed through to every Kafka client (security.protocol, sasl.*, ssl.*, ...)
 * @param partialsTopic     where partial transcripts also go at once, at least once (null: nowhere); the results topic
 *                          has them too, exactly once, readable at each checkpoint's commit
 * @param audioModel        model directory for audio streams (null: the job reads no audio topic)
 * @param textModel         model directory for text streams (null: the job reads no text topic)
 * @param windowFrames      W: 10 ms frames per audio window
 * @param hopFrames         H: frames between the starts of consecutive windows (H < W overlaps them)
 * @param batchSize         windows per forward pass, at most
 * @param batchDeadlineMs   a window waits at most this long for its batch to fill
 * @param idleTimeoutMs     a stream without records this long is flushed and forgotten, as if it had ended
 * @param maxReorder        records that may arrive ahead of a missing seq and wait for it
 * @param maxRecordBytes    larger records are refused as oversized
 */
public record JobSettings(String bootstrapServers, String audioTopic, String textTopic, String resultsTopic, String partialsTopic,
                          String deadLetterTopic, String controlTopic, String groupId, Map<String, String> kafkaProperties,
                          String audioModel, String textModel, int windowFrames, int hopFrames, int batchSize,
                          long batchDeadlineMs, long idleTimeoutMs, int maxReorder, int maxRecordBytes, int parallelism,
                          long checkpointIntervalMs, String checkpointDir, String stateBackend,
                          String transactionalIdPrefix, long transactionTimeoutMs, Admission admission) implements Serializable {

    /**
     * What one record or one stream may cost the job, checked before the work is done: a record or stream over a
     * limit is a dead letter, never a restart (docs/PROTOCOL.md names the reasons).
     *
     * @param maxRecordSeconds audio one record may hold (its frames are computed at once): more is {@code record_too_long}
     * @param maxStreamSeconds audio one stream may hold from seq 0 to eos: a record beyond it is {@code stream_too_long}
     * @param maxReorderBytes  bytes of one stream's records waiting for a missing seq: more is {@code reorder_full}
     * @param maxStreams       streams with state in one instance of the assembler: a new stream beyond it is {@code too_many_streams}
     */
    public record Admission(int maxRecordSeconds, long maxStreamSeconds, int maxReorderBytes, int maxStreams) implements Serializable {
        public static final Admission DEFAULTS = new Admission(60, 4 * 3600, 64 * 1024, 10_000);

        public Admission {
            if (maxRecordSeconds < 1 || maxStreamSeconds < maxRecordSeconds || maxReorderBytes < 0 || maxStreams < 1) {
                throw new IllegalArgumentException("admission limits need record seconds >= 1, stream seconds >= record seconds,"
                        + " reorder bytes >= 0 and streams >= 1; got " + this);
            }
        }

        /** 10 ms frames a record may hold. */
        public long maxRecordFrames() {
            return maxRecordSeconds * 100L;
        }

        public long maxStreamFrames() {
            return maxStreamSeconds * 100L;
        }
    }

    public JobSettings {
        kafkaProperties = new LinkedHashMap<>(kafkaProperties == null ? Map.of() : kafkaProperties);
        if (admission == null) admission = Admission.DEFAULTS;
        if (bootstrapServers == null || bootstrapServers.isBlank()) throw new IllegalArgumentException("bootstrap servers are required (--bootstrap-servers host:port)");
        if (audioModel == null && textModel == null) throw new IllegalArgumentException("give an audio model, a text model or both (--audio-model DIR, --text-model DIR)");
        if (windowFrames < 10 || hopFrames < 1 || hopFrames > windowFrames) {
            throw new IllegalArgumentException("need window >= 10 frames and 1 <= hop <= window, got window " + windowFrames + ", hop " + hopFrames);
        }
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (batchDeadlineMs < 1) throw new IllegalArgumentException("batch deadline must be >= 1 ms, got " + batchDeadlineMs);
        if (checkpointIntervalMs < 10) {   // Flink's smallest; the exactly-once sinks commit results only at checkpoints
            throw new IllegalArgumentException("checkpoint interval must be >= 10 ms (results are committed with each checkpoint), got "
                    + checkpointIntervalMs + "; try --checkpoint-interval-ms 2000");
        }
        if (maxReorder < 0) throw new IllegalArgumentException("reorder bound must be >= 0, got " + maxReorder);
        if (!stateBackend.equals("hashmap") && !stateBackend.equals("rocksdb")) {
            throw new IllegalArgumentException("state backend must be hashmap or rocksdb, got " + stateBackend);
        }
    }

    /** A window's longest wait for its micro-batch unless told otherwise (ms). */
    public static final long DEFAULT_BATCH_DEADLINE_MS = 20;

    /** Defaults for a local run: topics audio-in, text-in, results, dead-letters, models-control. */
    public static JobSettings defaults(String bootstrapServers, String audioModel, String textModel) {
        return new JobSettings(bootstrapServers, "audio-in", "text-in", "results", null, "dead-letters", "models-control",
                "reformer-job", Map.of(), audioModel, textModel, 100, 50, 16, DEFAULT_BATCH_DEADLINE_MS, 30_000, 64, 1 << 20, 1,
                2_000, null, "hashmap", "reformer-results", 60_000, Admission.DEFAULTS);
    }

    public JobSettings withBatching(int size, long deadlineMs) {
        return copy(b -> { b.batchSize = size; b.batchDeadlineMs = deadlineMs; });
    }

    public JobSettings withWindow(int frames, int hop) {
        return copy(b -> { b.windowFrames = frames; b.hopFrames = hop; });
    }

    /** The same settings with every topic, the consumer group and the transactional ids prefixed. */
    public JobSettings withTopicPrefix(String prefix) {
        return copy(b -> {
            b.audioTopic = prefix + audioTopic;
            b.textTopic = prefix + textTopic;
            b.resultsTopic = prefix + resultsTopic;
            b.partialsTopic = partialsTopic == null ? null : prefix + partialsTopic;
            b.deadLetterTopic = prefix + deadLetterTopic;
            b.controlTopic = prefix + controlTopic;
            b.groupId = prefix + groupId;
            b.transactionalIdPrefix = prefix + transactionalIdPrefix;
        });
    }

    public JobSettings withLimits(long idleMs, int reorder, int recordBytes) {
        return copy(b -> { b.idleTimeoutMs = idleMs; b.maxReorder = reorder; b.maxRecordBytes = recordBytes; });
    }

    /** Another job on the same topics: its own models, consumer group and transactional ids (both named after it). */
    public JobSettings forJob(String name, String audio, String text) {
        return copy(b -> { b.groupId = name; b.transactionalIdPrefix = name; b.audioModel = audio; b.textModel = text; });
    }

    public JobSettings withParallelism(int p) {
        return copy(b -> b.parallelism = p);
    }

    public JobSettings withCheckpoints(long intervalMs, String dir) {
        return copy(b -> { b.checkpointIntervalMs = intervalMs; b.checkpointDir = dir; });
    }

    /** hashmap or rocksdb. */
    public JobSettings withStateBackend(String backend) {
        return copy(b -> b.stateBackend = backend);
    }

    /** Partial transcripts also to this topic, at least once, as soon as they are made (null: not). */
    public JobSettings withPartialsTopic(String topic) {
        return copy(b -> b.partialsTopic = topic);
    }

    public JobSettings withAdmission(Admission limits) {
        return copy(b -> b.admission = limits);
    }

    /** A copy with the changes made to its components; the one place besides the record that lists them all. */
    private JobSettings copy(java.util.function.Consumer<Components> change) {
        Components b = new Components(this);
        change.accept(b);
        return b.settings();
    }

    /** The components of a JobSettings, mutable while a copy is made. */
    private static final class Components {
        String bootstrapServers;
        String audioTopic;
        String textTopic;
        String resultsTopic;
        String partialsTopic;
        String deadLetterTopic;
        String controlTopic;
        String groupId;
        Map<String, String> kafkaProperties;
        String audioModel;
        String textModel;
        int windowFrames;
        int hopFrames;
        int batchSize;
        long batchDeadlineMs;
        long idleTimeoutMs;
        int maxReorder;
        int maxRecordBytes;
        int parallelism;
        long checkpointIntervalMs;
        String checkpointDir;
        String stateBackend;
        String transactionalIdPrefix;
        long transactionTimeoutMs;
        Admission admission;

        Components(JobSettings s) {
            bootstrapServers = s.bootstrapServers;
            audioTopic = s.audioTopic;
            textTopic = s.textTopic;
            resultsTopic = s.resultsTopic;
            partialsTopic = s.partialsTopic;
            deadLetterTopic = s.deadLetterTopic;
            controlTopic = s.controlTopic;
            groupId = s.groupId;
            kafkaProperties = s.kafkaProperties;
            audioModel = s.audioModel;
            textModel = s.textModel;
            windowFrames = s.windowFrames;
            hopFrames = s.hopFrames;
            batchSize = s.batchSize;
            batchDeadlineMs = s.batchDeadlineMs;
            idleTimeoutMs = s.idleTimeoutMs;
            maxReorder = s.maxReorder;
            maxRecordBytes = s.maxRecordBytes;
            parallelism = s.parallelism;
            checkpointIntervalMs = s.checkpointIntervalMs;
            checkpointDir = s.checkpointDir;
            stateBackend = s.stateBackend;
            transactionalIdPrefix = s.transactionalIdPrefix;
            transactionTimeoutMs = s.transactionTimeoutMs;
            admission = s.admission;
        }

        JobSettings settings() {
            return new JobSettings(bootstrapServers, audioTopic, textTopic, resultsTopic, partialsTopic, deadLetterTopic, controlTopic, groupId,
                    kafkaProperties, audioModel, textModel, windowFrames, hopFrames, batchSize, batchDeadlineMs, idleTimeoutMs,
                    maxReorder, maxRecordBytes, parallelism, checkpointIntervalMs, checkpointDir, stateBackend,
                    transactionalIdPrefix, transactionTimeoutMs, admission);
        }
    }
}
