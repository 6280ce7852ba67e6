package dev.reformer.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.task.Manifest;
import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.ReformerJob;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The whole product on this machine ({@code ./reformer demo}): a Kafka broker and a Flink MiniCluster on 127.0.0.1, two
 * jobs with the shipped models, the bundled samples replayed at real-time pace, a live view, and at the end a summary of
 * what was heard against what was said. Ctrl-C stops everything and leaves no process or port behind.
 */
public final class Demo {
    /**
     * What the demo is told.
     *
     * @param durationSeconds replay the samples in a loop for this long; 0: each once, until all are answered
     * @param speed           replay pace, 1 = real time
     * @param noUi            one line per result instead of the live view
     * @param samplesDir      the samples to replay (audio.jsonl, text.jsonl)
     * @param modelsDir       where the models commands, digits, spam and langid are
     * @param webUiPort       Flink's web UI port on 127.0.0.1; another free one when in use, or for 0
     * @param summaryFile     also write the summary as JSON there (may be null)
     */
    public record Options(int durationSeconds, double speed, boolean noUi, Path samplesDir, Path modelsDir, int webUiPort, Path summaryFile) {}

    private final int durationSeconds;
    private final double speed;
    private final boolean noUi;
    private final Path samplesDir, modelsDir, summaryFile;
    private final int webUiPort;

    private Demo(Options o) {
        this.durationSeconds = o.durationSeconds();
        this.speed = o.speed();
        this.noUi = o.noUi();
        this.samplesDir = o.samplesDir();
        this.modelsDir = o.modelsDir();
        this.webUiPort = o.webUiPort();
        this.summaryFile = o.summaryFile();
    }

    /** Runs the demo; the exit code: 0 done, 1 a job failed, 130 stopped by Ctrl-C. */
    public static int run(Options options) throws Exception {
        return new Demo(options).call();
    }

    /** Jobs of the demo: one reads audio with a classifier and text with a classifier, the other transcribes audio and names text's language. */
    private record DemoJob(String name, String audioModel, String textModel) {}

    private static final List<DemoJob> JOBS = List.of(new DemoJob("labels", "commands", "spam"), new DemoJob("transcripts", "digits", "langid"));
    /** The longest the demo waits for answers after the last sample was sent. */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(60);

    private final AtomicBoolean stop = new AtomicBoolean(), ctrlC = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private int call() throws Exception {
        if (speed <= 0 || speed > 100) throw new IllegalArgumentException("--speed " + speed + " must be above 0 and at most 100");
        if (durationSeconds < 0) throw new IllegalArgumentException("--duration " + durationSeconds + " must be 0 (each sample once) or more");
        Samples samples = Samples.read(samplesDir);
        for (DemoJob j : JOBS) {
            for (String m : List.of(j.audioModel(), j.textModel())) {
                if (!Files.isRegularFile(modelsDir.resolve(m).resolve("model.safetensors"))) {
                    throw new IllegalArgumentException(modelsDir.resolve(m) + " is not a trained model; run from the repository's root, or give --models DIR");
                }
            }
        }
        Thread onCtrlC = new Thread(() -> {
            ctrlC.set(true);
            stop.set(true);
            try {
                // the JVM exits when this returns: let close() stop Flink and Kafka first (a busy machine takes its time)
                stopped.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo ctrl-c");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            int code = run(samples);
            return ctrlC.get() ? 130 : code;   // Ctrl-C in any phase, also once the replay ended: 130, as a shell expects
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waited for the latch above
            }
        }
    }

    private int run(Samples samples) throws Exception {
        long started = System.nanoTime();
        // the demo ends by cancelling its jobs, which aborts the checkpoint in flight: Flink logs that as a warning with
        // a stack trace, and its RPC threads warn that they are shut down; at the end of a demo both read like a crash.
        // slf4j-simple reads a logger's level when the logger is made, and these are made when the jobs start
        for (String expectedAtShutdown : List.of("org.apache.flink.runtime.checkpoint.CheckpointFailureManager",
                "org.apache.flink.runtime.rpc.RpcEndpoint$MainThreadExecutor")) {
            System.setProperty("org.slf4j.simpleLogger.log." + expectedAtShutdown, "error");
        }
        say("starting Kafka (a KRaft broker process, one node, on 127.0.0.1) ...");
        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS).closedByCaller()) {
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            JobSettings base = JobSettings.defaults(kafka.bootstrapServers(), "unused", null).withCheckpoints(1000, null);
            Topics.forJob(base, 1, 1);
            int port = freeOr(webUiPort);
            say(String.format(Locale.ROOT, "Kafka at %s; starting Flink (MiniCluster, web UI http://127.0.0.1:%d) ...", kafka.bootstrapServers(), port));
            try (MiniCluster flink = startFlink(port)) {
                List<JobClient> jobs = new ArrayList<>();
                for (DemoJob j : JOBS) {
                    JobSettings s = base.forJob("demo-" + j.name(), modelsDir.resolve(j.audioModel()).toString(), modelsDir.resolve(j.textModel()).toString());
                    StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment("127.0.0.1", port, ReformerJob.flinkConfiguration(s));
                    ReformerJob.build(env, s);
                    jobs.add(env.executeAsync("demo " + j.name() + ": audio " + j.audioModel() + ", text " + j.textModel()));
                    say("submitted job '" + j.name() + "': audio with models/" + j.audioModel() + ", text with models/" + j.textModel());
                }
                awaitRunning(flink, jobs);
                say(String.format(Locale.ROOT, "replaying %d audio streams and %d messages at %sx real time%s ...", samples.audio().size(),
                        samples.text().size(), speed, durationSeconds > 0 ? " for " + durationSeconds + " s" : ", each once"));
                ObjectNode summary = replay(samples, client, base, port, jobs);
                summary.put("kafka", kafka.bootstrapServers()).put("web_ui_port", port);
                String failed = failedJob(jobs);
                if (!ctrlC.get()) {   // on Ctrl-C closing the cluster cancels them
                    for (JobClient job : jobs) if (!job.getJobStatus().get(30, TimeUnit.SECONDS).isGloballyTerminalState()) job.cancel().get(30, TimeUnit.SECONDS);
                }
                System.out.println();
                System.out.print(ResultsBoard.describeSummary(summary));
                System.out.printf(Locale.ROOT, "demo took %.0f s; stopping Flink and Kafka.%n", (System.nanoTime() - started) / 1e9);
                if (summaryFile != null) Files.writeString(summaryFile, Manifest.pretty(summary));
                if (failed != null) {
                    System.err.println("error: " + failed + "; the Flink log above says why");
                    return 1;
                }
            }
        }
        return ctrlC.get() ? 130 : 0;
    }

    /** Replays the samples (a player thread) and shows what comes back until the time is up or every sample is answered. */
    private ObjectNode replay(Samples samples, Properties client, JobSettings s, int port, List<JobClient> jobs) throws Exception {
        List<byte[]> wavs = new ArrayList<>();
        for (Samples.AudioSample a : samples.audio()) wavs.add(Files.readAllBytes(a.wav()));
        AtomicBoolean playedOnce = new AtomicBoolean();
        long t0 = System.nanoTime();
        long deadline = durationSeconds > 0 ? t0 + TimeUnit.SECONDS.toNanos(durationSeconds) : Long.MAX_VALUE;
        try (Replayer replayer = new Replayer(client, s.audioTopic(), s.textTopic());
             ResultsBoard board = new ResultsBoard(client, s.resultsTopic(), s.deadLetterTopic(), samples)) {
            Thread player = player(replayer, samples, wavs, deadline, playedOnce);
            player.setDaemon(true);
            player.start();
            long lastDraw = 0, playedAt = 0, lastCheck = 0;
            while (!ctrlC.get()) {
                board.poll(Duration.ofMillis(200), noUi ? System.out : null);
                long now = System.nanoTime();
                if (now - lastCheck > 1_000_000_000L) {   // a job that failed, or keeps restarting, answers nothing more
                    lastCheck = now;
                    String failed = failedJob(jobs);
                    if (failed != null) {
                        say(failed);
                        break;
                    }
                }
                if (!noUi && now - lastDraw > 500_000_000L) {
                    lastDraw = now;
                    board.render(System.out, String.format(Locale.ROOT, "Reformer demo: %.0f s%s · Flink web UI http://127.0.0.1:%d · Kafka %s · Ctrl-C stops",
                            (now - t0) / 1e9, durationSeconds > 0 ? " of " + durationSeconds : "", port, s.bootstrapServers()));
                }
                if (playedOnce.get() && playedAt == 0) playedAt = now;
                // the summary scores each sample's first playing: when the time is up, its answers are awaited (a busy
                // machine answers late); a duration shorter than one playing has nothing more to wait for
                boolean timeUp = durationSeconds > 0 ? now > deadline : playedOnce.get();
                if (!timeUp) continue;
                if (!playedOnce.get() || board.complete(JOBS.size(), JOBS.size())) break;
                if (now - Math.max(playedAt, durationSeconds > 0 ? deadline : 0) > ANSWER_WAIT.toNanos()) {
                    say("some answers did not come within " + ANSWER_WAIT.toSeconds() + " s after the last sample; the summary says which");
                    break;
                }
            }
            stop.set(true);
            player.join(5_000);
            board.poll(Duration.ofMillis(500), noUi ? System.out : null);
            return board.summary();
        }
    }

    /** The thread that plays the samples at the demo's speed, round after round while there is time; playedOnce: the first round is out. */
    private Thread player(Replayer replayer, Samples samples, List<byte[]> wavs, long deadline, AtomicBoolean playedOnce) {
        return new Thread(() -> {
            try {
                for (int r = 0; !stop.get(); r++) {
                    double length = 0;
                    for (int i = 0; i < wavs.size(); i++) length = Math.max(length, replayer.audio(samples.audio().get(i).stream(), wavs.get(i), 0));
                    for (int i = 0; i < samples.text().size(); i++) {
                        Samples.TextSample t = samples.text().get(i);
                        replayer.text(t.stream(), t.text(), r, length * i / samples.text().size());
                    }
                    boolean done = replayer.play(speed, () -> stop.get() || System.nanoTime() > deadline);
                    if (r == 0 && done) playedOnce.set(true);
                    if (!done || durationSeconds == 0) break;
                    TimeUnit.MILLISECONDS.sleep((long) (1000 / speed));   // a pause between rounds
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo replay");
    }

    /** "job X failed" or "job X is restarting", or null while every job runs. */
    private static String failedJob(List<JobClient> jobs) throws Exception {
        for (JobClient job : jobs) {
            JobStatus status = job.getJobStatus().get(30, TimeUnit.SECONDS);
            if (status == JobStatus.FAILED || status == JobStatus.FAILING || status == JobStatus.RESTARTING) {
                return "job " + job.getJobID() + " is " + status.name().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static MiniCluster startFlink(int port) throws Exception {
        Configuration c = new Configuration();
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        c.set(RestOptions.PORT, port);
        c.setString("jobmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.host", "127.0.0.1");
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(c)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(JOBS.size()).build());
        cluster.start();
        return cluster;
    }

    /** Until every task of every job runs: samples sent earlier would wait for the tasks and show their start-up as latency. */
    private void awaitRunning(MiniCluster flink, List<JobClient> jobs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (JobClient job : jobs) {
            while (true) {
                JobStatus status = job.getJobStatus().get(30, TimeUnit.SECONDS);
                if (status == JobStatus.RUNNING && allTasksRunning(flink, job)) break;
                if (status.isTerminalState()) throw new IllegalStateException("job " + job.getJobID() + " ended as " + status + " before it ran; see the log above");
                if (System.nanoTime() > deadline) throw new IllegalStateException("job " + job.getJobID() + " did not start within 120 s (" + status + ")");
                if (stop.get()) return;
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }

    private static boolean allTasksRunning(MiniCluster flink, JobClient job) throws Exception {
        for (var vertex : flink.getExecutionGraph(job.getJobID()).get(30, TimeUnit.SECONDS).getAllExecutionVertices()) {
            if (vertex.getExecutionState() != ExecutionState.RUNNING) return false;
        }
        return true;
    }

    /** port when it is free on 127.0.0.1, else (or for 0) one the system picks. */
    private static int freeOr(int port) throws IOException {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();   // port, or for 0 the one the system picked
        } catch (IOException inUse) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                System.err.println("port " + port + " is in use; Flink's web UI takes " + s.getLocalPort());
                return s.getLocalPort();
            }
        }
    }

    private static void say(String line) {
        System.err.println(line);
    }
}
