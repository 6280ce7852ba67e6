package dev.reformer.client;

import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.ReformerJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Starts the streaming job ({@code ./reformer run}): submitted to a cluster's REST endpoint, or locally in an in-process MiniCluster with its web UI on 127.0.0.1.
 */
public final class JobLauncher {
    private JobLauncher() {}

    /**
     * Where and from what the job starts.
     *
     * @param cluster        HOST:PORT of a Flink cluster's REST endpoint to submit to, or null to run locally
     * @param jobJar         with a cluster: the job jar
     * @param webUiPort      locally: the web UI's port on 127.0.0.1
     * @param fromSavepoint  a savepoint to start from, or null
     * @param fromCheckpoint a retained checkpoint (chk-N, or the checkpoint directory: its newest), or null
     */
    public record Launch(String cluster, Path jobJar, int webUiPort, String fromSavepoint, Path fromCheckpoint) {}

    /** Runs (locally, until the job ends) or submits the job; the exit code: 2 on a missing job jar. */
    public static int launch(JobSettings settings, Launch launch) throws Exception {
        Configuration flink = ReformerJob.flinkConfiguration(settings);
        recovery(flink, launch);
        if (launch.cluster() != null) return submit(settings, flink, launch);
        flink.setString("rest.bind-address", "127.0.0.1");
        flink.setString("rest.address", "127.0.0.1");
        flink.setString("rest.port", String.valueOf(launch.webUiPort()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        ReformerJob.build(env, settings);
        System.err.println("running locally; Flink web UI at http://127.0.0.1:" + launch.webUiPort() + " (Ctrl-C stops the job)");
        env.execute("reformer");
        return 0;
    }

    private static int submit(JobSettings settings, Configuration flink, Launch launch) throws Exception {
        Path jobJar = launch.jobJar();
        if (jobJar == null || !Files.isRegularFile(jobJar)) {
            System.err.println("error: --cluster needs --job-jar FILE (build it with: mvn -B -DskipTests package; it is pipeline/target/reformer-job.jar)");
            return 2;
        }
        String[] hostPort = launch.cluster().split(":");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(hostPort[0],
                hostPort.length > 1 ? Integer.parseInt(hostPort[1]) : 8081, flink, jobJar.toString());
        ReformerJob.build(env, settings);
        var job = env.executeAsync("reformer");
        System.out.println("submitted job " + job.getJobID() + " to " + launch.cluster() + "; follow it at http://" + launch.cluster());
        return 0;
    }

    /** --from-savepoint / --from-checkpoint: where the job's state and input offsets come from. */
    private static void recovery(Configuration flink, Launch launch) throws IOException {
        if (launch.fromSavepoint() != null && launch.fromCheckpoint() != null) {
            throw new IllegalArgumentException("give --from-savepoint or --from-checkpoint, not both");
        }
        String path = launch.fromSavepoint() != null ? launch.fromSavepoint() : launch.fromCheckpoint() != null
                ? FlinkRest.latestCheckpoint(launch.fromCheckpoint()).toAbsolutePath().toUri().toString() : null;
        if (path == null) return;
        flink.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
        System.err.println("starting from " + path);
    }

    /** Stops a running job (the only one when jobId is null) with a savepoint in dir; prints how to continue it. */
    public static void stop(String rest, String jobId, String savepointDir, java.time.Duration timeout) throws Exception {
        FlinkRest flink = new FlinkRest(rest);
        String job = jobId != null ? jobId : flink.theRunningJob();
        String path = flink.stopWithSavepoint(job, savepointDir, timeout);
        System.out.println("stopped job " + job + " with savepoint " + path);
        System.out.println("continue it with: ./reformer run ... --from-savepoint " + path);
    }
}
