package dev.reformer.cli;

import dev.reformer.client.JobLauncher;
import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.options.JobOptions;
import java.io.IOException;
import java.nio.file.Path;
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

    @Mixin
    JobOptions job = new JobOptions();

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

    @Override
    public Integer call() throws Exception {
        return JobLauncher.launch(settings(), new JobLauncher.Launch(cluster, jobJar, webUiPort, fromSavepoint, fromCheckpoint));
    }

    JobSettings settings() throws IOException {
        return job.settings();
    }
}
