package dev.reformer.cli;

import dev.reformer.client.JobLauncher;
import dev.reformer.pipeline.JobSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the streaming job: Kafka audio and text streams in, classifications and transcripts out, exactly once.",
                "Locally by default (an in-process Flink MiniCluster with its web UI on 127.0.0.1), or submitted to a"
                        + " Flink cluster with --cluster and --job-jar. Topics, keys, headers and messages are in docs/PROTOCOL.md.",
                "Every option can also come from --config FILE, a properties file whose keys are the option names"
                        + " without dashes (bootstrap-servers=..., window-frames=...); the command line wins."},
        footer = {"", "Examples:",
                "  ./reformer run --bootstrap-servers 127.0.0.1:9092 --audio-model models/commands --text-model models/spam",
                "  ./reformer run --config job.properties --kafka-properties client-ssl.properties --state-backend rocksdb --checkpoint-dir /data/ckpt",
                "  ./reformer run --config job.properties --cluster flink-jm:8081 --job-jar pipeline/target/reformer-job.jar --parallelism 4"})
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Options as a properties file (read before the command line).")
    Path config;

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--kafka-properties", paramLabel = "FILE", description = "Kafka client properties from a file (as Kafka's own tools take them).")
    Path kafkaPropertiesFile;

    @Option(names = "--audio-model", paramLabel = "DIR", description = "Model directory for audio streams (./reformer train writes one).")
    String audioModel;

    @Option(names = "--text-model", paramLabel = "DIR", description = "Model directory for text streams.")
    String textModel;

    @Mixin
    InputTopics inputTopics;

    @Mixin
    OutputTopics outputTopics;

    @Option(names = "--control-topic", defaultValue = "models-control", description = "Model control topic (default: ${DEFAULT-VALUE}).")
    String controlTopic;

    @Option(names = "--group-id", defaultValue = "reformer-job", description = "Kafka consumer group (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--window-frames", defaultValue = "100", description = "W: 10 ms frames per audio window (default: ${DEFAULT-VALUE}).")
    int windowFrames;

    @Option(names = "--hop-frames", defaultValue = "50", description = "H: frames between window starts (default: ${DEFAULT-VALUE}).")
    int hopFrames;

    @Option(names = "--batch-size", defaultValue = "16", description = "Windows per forward pass, at most (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--batch-deadline-ms", defaultValue = "" + JobSettings.DEFAULT_BATCH_DEADLINE_MS, description = "Longest wait of a window for its batch (default: ${DEFAULT-VALUE}).")
    long batchDeadlineMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "30000", description = "A stream silent this long is closed as if it sent eos (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--max-reorder", defaultValue = "64", description = "Records that may wait for a missing seq (default: ${DEFAULT-VALUE}).")
    int maxReorder;

    @Option(names = "--max-record-bytes", defaultValue = "1048576", description = "Larger records are dead letters (default: ${DEFAULT-VALUE}).")
    int maxRecordBytes;

    @Option(names = "--max-record-seconds", defaultValue = "60", description = "Audio one record may hold; more is a dead letter (default: ${DEFAULT-VALUE}).")
    int maxRecordSeconds;

    @Option(names = "--max-stream-seconds", defaultValue = "14400", description = "Audio one stream may hold; records beyond are dead letters (default: ${DEFAULT-VALUE}).")
    long maxStreamSeconds;

    @Option(names = "--max-reorder-bytes", defaultValue = "65536", description = "Bytes of one stream's records waiting for a missing seq, at most (default: ${DEFAULT-VALUE}).")
    int maxReorderBytes;

    @Option(names = "--max-streams", defaultValue = "10000", description = "Streams with state per instance of the assembler, at most (default: ${DEFAULT-VALUE}).")
    int maxStreams;

    @Option(names = "--parallelism", defaultValue = "1", description = "Parallel instances of each operator (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "2000",
            description = "Checkpoints (and so result commits) this often (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR|URI", description = "Where checkpoints go (default: in memory of the JobManager).")
    String checkpointDir;

    @Option(names = "--state-backend", defaultValue = "hashmap", description = "hashmap or rocksdb (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(names = "--transactional-id-prefix", defaultValue = "reformer-results",
            description = "Prefix of the Kafka transactional ids of the exactly-once sinks (default: ${DEFAULT-VALUE}).")
    String transactionalIdPrefix;

    @Option(names = "--transaction-timeout-ms", defaultValue = "60000",
            description = "Kafka transaction timeout; must stay under the broker's transaction.max.timeout.ms (default: ${DEFAULT-VALUE}).")
    long transactionTimeoutMs;

    @Option(names = "--from-savepoint", paramLabel = "PATH",
            description = "Start from this savepoint (./reformer stop --savepoint DIR prints it): state and input offsets as they were.")
    String fromSavepoint;

    @Option(names = "--from-checkpoint", paramLabel = "PATH",
            description = "Start from a retained checkpoint: a chk-N directory, or a --checkpoint-dir (its newest complete checkpoint).")
    Path fromCheckpoint;

    @Option(names = "--cluster", paramLabel = "HOST:PORT", description = "Submit to this Flink cluster's REST endpoint instead of running locally.")
    String cluster;

    @Option(names = "--job-jar", paramLabel = "FILE",
            description = "With --cluster: the job jar (mvn package builds pipeline/target/reformer-job.jar; ND4J stays on the cluster).")
    Path jobJar;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Local run: port of the Flink web UI on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(names = "--application",
            description = "Inside Flink's application mode (a standalone-job JobManager, the Kubernetes operator): the cluster runs this"
                    + " main; use the environment it gives (entry class dev.reformer.cli.ApplicationMain adds this).")
    boolean application;

    @Override
    public Integer call() throws Exception {
        return JobLauncher.launch(settings(), new JobLauncher.Launch(application, cluster, jobJar, webUiPort, fromSavepoint, fromCheckpoint));
    }

    JobSettings settings() throws IOException {
        if (config != null && !Files.isRegularFile(config)) throw new IllegalArgumentException("--config " + config + " does not exist");
        if (audioModel == null && textModel == null) {
            throw new IllegalArgumentException("give --audio-model DIR, --text-model DIR or both (./reformer train writes model directories)");
        }
        for (String dir : new String[]{audioModel, textModel}) {
            if (dir != null && !Files.isRegularFile(Path.of(dir).resolve("config.json"))) {
                throw new IllegalArgumentException(dir + " is not a model directory (no config.json); train one with ./reformer train");
            }
        }
        Map<String, String> kafka = new LinkedHashMap<>();
        if (kafkaPropertiesFile != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(kafkaPropertiesFile)) {
                p.load(r);
            }
            p.forEach((k, v) -> kafka.put(k.toString(), v.toString()));
        }
        kafka.putAll(kafkaOptions.kafkaProperty);
        return new JobSettings(kafkaOptions.bootstrapServers, inputTopics.audioTopic, inputTopics.textTopic, outputTopics.resultsTopic,
                outputTopics.deadLetterTopic, controlTopic, groupId, kafka,
                audioModel, textModel, windowFrames, hopFrames, batchSize, batchDeadlineMs, idleTimeoutMs, maxReorder, maxRecordBytes,
                parallelism, checkpointIntervalMs, checkpointDir, stateBackend, transactionalIdPrefix, transactionTimeoutMs,
                new JobSettings.Admission(maxRecordSeconds, maxStreamSeconds, maxReorderBytes, maxStreams));
    }
}
