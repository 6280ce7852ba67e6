package dev.reformer.tests;

import dev.reformer.cli.Main;
import dev.reformer.client.FlinkRest;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./reformer run} as an operator starts it, in this JVM: the CLI's run command on a thread of its own (a local
 * MiniCluster), its web UI and REST API on a free port of 127.0.0.1. {@link #close} cancels the job if it still runs
 * and waits for the command to return.
 */
final class LocalRun implements AutoCloseable {
    final FlinkRest rest;
    final String restAddress;
    final String jobId;
    private final Thread thread;
    private volatile Integer exitCode;

    private LocalRun(String... runArguments) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        restAddress = "127.0.0.1:" + port;
        rest = new FlinkRest(restAddress);
        List<String> args = new ArrayList<>(List.of("run", "--web-ui-port", String.valueOf(port)));
        args.addAll(List.of(runArguments));
        thread = new Thread(() -> exitCode = Main.run(args.toArray(String[]::new)), "reformer-run");
        thread.start();
        jobId = awaitRunning();
    }

    /** Starts the job and returns once all its tasks run and a first checkpoint completed (so the control topic's start offset is fixed). */
    static LocalRun start(String... runArguments) throws Exception {
        return new LocalRun(runArguments);
    }

    private String awaitRunning() throws Exception {
        // an IOException is not yet: the REST endpoint comes up with the MiniCluster
        return Await.until("run's job to have every task running and a first checkpoint completed (REST " + restAddress + ")",
                Duration.ofSeconds(300), () -> {
                    List<String> running = rest.runningJobs();
                    return running.size() == 1 && allTasksRunning(running.get(0)) && rest.completedCheckpoints(running.get(0)) >= 1
                            ? running.get(0) : null;
                }, () -> exitCode == null ? null : "run exited with " + exitCode + " before its job ran");
    }

    private boolean allTasksRunning(String job) throws Exception {
        var vertices = rest.get("/jobs/" + job).path("vertices");
        boolean running = vertices.size() > 0;
        for (var v : vertices) running &= v.path("status").asText().equals("RUNNING");
        return running;
    }

    /** Waits for the run command to return (after a stop with savepoint, say) and gives its exit code. */
    int awaitExit(long seconds) throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(seconds));
        if (thread.isAlive()) throw new IllegalStateException("run did not return within " + seconds + " s");
        return exitCode;
    }

    @Override
    public void close() throws Exception {
        if (thread.isAlive()) {
            try {
                rest.cancel(jobId);
            } catch (IOException gone) {
                // the job already ended
            }
            thread.join(TimeUnit.SECONDS.toMillis(120));
            if (thread.isAlive()) throw new IllegalStateException("run did not return within 120 s of cancelling job " + jobId);
        }
    }
}
