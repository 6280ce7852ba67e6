package dev.reformer.pipeline.options;

import dev.reformer.pipeline.JobSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job's own arguments, as {@code ./reformer run} and Flink's application mode ({@link dev.reformer.pipeline.ApplicationMain})
 * take them: Kafka, topics, models, windows, batching, admission limits and checkpointing, made into one
 * {@link JobSettings}. Every option can also come from {@code --config FILE}, a properties file whose keys are the
 * option names without dashes; the command line wins.
 */
public final class JobOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "Options as a properties file (read before the command line).")
    public Path config;

    @Mixin
    public KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--kafka-properties", paramLabel = "FILE", description = "Kafka client properties from a file (as Kafka's own tools take them).")
    public Path kafkaPropertiesFile;

    @Option(names = "--audio-model", paramLabel = "DIR", description = "Model directory for audio streams (./reformer train writes one).")
    public String audioModel;

    @Option(names = "--text-model", paramLabel = "DIR", description = "Model directory for text streams.")
    public String textModel;

    @Mixin
    public InputTopics inputTopics = new InputTopics();

    @Mixin
    public OutputTopics outputTopics = new OutputTopics();

    @Option(names = "--control-topic", defaultValue = "models-control", description = "Model control topic (default: ${DEFAULT-VALUE}).")
    public String controlTopic;

    @Option(names = "--group-id", defaultValue = "reformer-job", description = "Kafka consumer group (default: ${DEFAULT-VALUE}).")
    public String groupId;

    @Option(names = "--window-frames", defaultValue = "100", description = "W: 10 ms frames per audio window (default: ${DEFAULT-VALUE}).")
    public int windowFrames;

    @Option(names = "--hop-frames", defaultValue = "50", description = "H: frames between window starts (default: ${DEFAULT-VALUE}).")
    public int hopFrames;

    @Option(names = "--batch-size", defaultValue = "16", description = "Windows per forward pass, at most (default: ${DEFAULT-VALUE}).")
    public int batchSize;

    @Option(names = "--batch-deadline-ms", defaultValue = "" + JobSettings.DEFAULT_BATCH_DEADLINE_MS, description = "Longest wait of a window for its batch (default: ${DEFAULT-VALUE}).")
    public long batchDeadlineMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "30000", description = "A stream silent this long is closed as if it sent eos (default: ${DEFAULT-VALUE}).")
    public long idleTimeoutMs;

    @Option(names = "--max-reorder", defaultValue = "64", description = "Records that may wait for a missing seq (default: ${DEFAULT-VALUE}).")
    public int maxReorder;

    @Option(names = "--max-record-bytes", defaultValue = "1048576", description = "Larger records are dead letters (default: ${DEFAULT-VALUE}).")
    public int maxRecordBytes;

    @Option(names = "--max-record-seconds", defaultValue = "60", description = "Audio one record may hold; more is a dead letter (default: ${DEFAULT-VALUE}).")
    public int maxRecordSeconds;

    @Option(names = "--max-stream-seconds", defaultValue = "14400", description = "Audio one stream may hold; records beyond are dead letters (default: ${DEFAULT-VALUE}).")
    public long maxStreamSeconds;

    @Option(names = "--max-reorder-bytes", defaultValue = "65536", description = "Bytes of one stream's records waiting for a missing seq, at most (default: ${DEFAULT-VALUE}).")
    public int maxReorderBytes;

    @Option(names = "--max-streams", defaultValue = "10000", description = "Streams with state per instance of the assembler, at most (default: ${DEFAULT-VALUE}).")
    public int maxStreams;

    @Option(names = "--parallelism", defaultValue = "1", description = "Parallel instances of each operator (default: ${DEFAULT-VALUE}).")
    public int parallelism;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "2000",
            description = "Checkpoints (and so result commits) this often (default: ${DEFAULT-VALUE}).")
    public long checkpointIntervalMs;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR|URI", description = "Where checkpoints go (default: in memory of the JobManager, which takes at most 5 MB an operator;"
            + " a job serving a streaming model needs a directory).")
    public String checkpointDir;

    @Option(names = "--state-backend", defaultValue = "hashmap", description = "hashmap or rocksdb (default: ${DEFAULT-VALUE}).")
    public String stateBackend;

    @Option(names = "--transactional-id-prefix", defaultValue = "reformer-results",
            description = "Prefix of the Kafka transactional ids of the exactly-once sinks (default: ${DEFAULT-VALUE}).")
    public String transactionalIdPrefix;
    @Option(names = "--transaction-timeout-ms", defaultValue = "60000",
            description = "Kafka transaction timeout; must stay under the broker's transaction.max.timeout.ms (default: ${DEFAULT-VALUE}).")
    public long transactionTimeoutMs;

    /** The settings these options give, checked: a missing model directory or config file is a clear error. */
    public JobSettings settings() throws IOException {
        if (config != null && !Files.isRegularFile(config)) throw new IllegalArgumentException("--config " + config + " does not exist");
        if (audioModel == null && textModel == null) {
            throw new IllegalArgumentException("give --audio-model DIR, --text-model DIR or both (./reformer train writes model directories)");
        }
        for (String dir : new String[]{audioModel, textModel}) {
            if (dir != null && !Files.isRegularFile(Path.of(dir).resolve("config.json"))) {
                throw new IllegalArgumentException(dir + " is not a model directory (no config.json); train one with ./reformer train");
            }
        }
        Map<String, String> kafkaProperties = new LinkedHashMap<>();
        if (kafkaPropertiesFile != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(kafkaPropertiesFile)) {
                p.load(r);
            }
            p.forEach((k, v) -> kafkaProperties.put(k.toString(), v.toString()));
        }
        kafkaProperties.putAll(kafka.kafkaProperty);
        return new JobSettings(kafka.bootstrapServers, inputTopics.audioTopic, inputTopics.textTopic, outputTopics.resultsTopic,
                outputTopics.partialsTopic(), outputTopics.deadLetterTopic, controlTopic, groupId, kafkaProperties,
                audioModel, textModel, windowFrames, hopFrames, batchSize, batchDeadlineMs, idleTimeoutMs, maxReorder, maxRecordBytes,
                parallelism, checkpointIntervalMs, checkpointDir, stateBackend, transactionalIdPrefix, transactionTimeoutMs,
                new JobSettings.Admission(maxRecordSeconds, maxStreamSeconds, maxReorderBytes, maxStreams));
    }

    /** --config FILE among the arguments: its properties become the defaults of the command's options, so the command line still wins. */
    public static void readConfigFile(CommandLine command, String[] args) {
        configFile(args).ifPresent(file -> command.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(file.toFile())));
    }

    private static Optional<Path> configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) return Optional.of(Path.of(args[i + 1]));
            if (args[i].startsWith("--config=")) return Optional.of(Path.of(args[i].substring("--config=".length())));
        }
        return Optional.empty();
    }
}
