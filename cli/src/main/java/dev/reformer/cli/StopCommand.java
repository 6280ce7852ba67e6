package dev.reformer.cli;

import dev.reformer.client.JobLauncher;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = {"Stops a running job with a savepoint, so that ./reformer run --from-savepoint PATH continues it where it stopped:"
                + " every result exactly once (docs/DEPLOYMENT.md)."},
        footer = {"", "Example:", "  ./reformer stop --savepoint /data/savepoints   # then: ./reformer run ... --from-savepoint <the printed path>"})
final class StopCommand implements Callable<Integer> {

    @Option(names = "--savepoint", required = true, paramLabel = "DIR|URI", description = "Where the savepoint goes (a directory every Flink process can write).")
    String savepointDir;

    @Option(names = "--rest", defaultValue = "127.0.0.1:8081", paramLabel = "HOST:PORT",
            description = "The job's Flink REST endpoint: a local run's --web-ui-port, or the cluster's JobManager (default: ${DEFAULT-VALUE}).")
    String rest;

    @Option(names = "--job", paramLabel = "ID", description = "The job to stop (default: the only running job).")
    String jobId;

    @Option(names = "--timeout-s", defaultValue = "300", description = "How long to wait for the savepoint (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        JobLauncher.stop(rest, jobId, savepointDir, Duration.ofSeconds(timeoutSeconds));
        return 0;
    }
}
