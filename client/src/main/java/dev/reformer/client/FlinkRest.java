package dev.reformer.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The few calls of Flink's REST API that operating the job needs: find the running job, stop it with a savepoint,
 * read its restarts. Used by {@code ./reformer stop} and by the tests; works on a local run's web UI port and on a
 * cluster's JobManager alike.
 */
public final class FlinkRest {
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** hostPort: the REST endpoint, e.g. 127.0.0.1:8081. */
    public FlinkRest(String hostPort) {
        this.base = "http://" + hostPort;
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    public JsonNode post(String path, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("Flink REST " + response.request().method() + " " + response.request().uri() + " answered "
                    + response.statusCode() + ": " + response.body());
        }
        return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    /** The ids of the jobs in state RUNNING. */
    public List<String> runningJobs() throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        for (JsonNode job : get("/jobs").path("jobs")) if (job.path("status").asText().equals("RUNNING")) ids.add(job.path("id").asText());
        return ids;
    }

    /** The one running job, or an error saying to name one. */
    public String theRunningJob() throws IOException, InterruptedException {
        List<String> running = runningJobs();
        if (running.size() != 1) {
            throw new IllegalStateException(running.isEmpty() ? "no job is running at " + base
                    : running.size() + " jobs are running at " + base + " " + running + "; name one with --job ID");
        }
        return running.get(0);
    }

    /**
     * Stops the job with a savepoint in directory (Flink's stop: sources stop, a last savepoint is taken and the
     * results' transactions up to it are committed) and returns the savepoint's path once it is complete.
     */
    public String stopWithSavepoint(String jobId, String directory, Duration timeout) throws IOException, InterruptedException {
        String target = directory.contains("://") ? directory : Path.of(directory).toAbsolutePath().toUri().toString();
        JsonNode trigger = post("/jobs/" + jobId + "/stop", JSON.createObjectNode().put("targetDirectory", target).put("drain", false).toString());
        String triggerId = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + triggerId);
            if (status.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    throw new IOException("the savepoint failed: " + operation.path("failure-cause").path("stack-trace").asText()
                            .lines().findFirst().orElse("(no cause given)"));
                }
                return operation.path("location").asText();
            }
            Thread.sleep(200);
        }
        throw new IOException("the savepoint of job " + jobId + " was not complete after " + timeout.toSeconds() + " s");
    }

    /** Cancels the job (no savepoint). */
    public void cancel(String jobId) throws IOException, InterruptedException {
        send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel")).method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /** Checkpoints of the job completed so far. */
    public long completedCheckpoints(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    /** How often the job restarted (Flink's numRestarts metric). */
    public long restarts(String jobId) throws IOException, InterruptedException {
        for (JsonNode m : get("/jobs/" + jobId + "/metrics?get=numRestarts")) {
            if (m.path("id").asText().equals("numRestarts")) return m.path("value").asLong();
        }
        throw new IOException("job " + jobId + " reports no numRestarts metric");
    }

    /** The failures in the job's exception history (each one cost a restart or the job). */
    public JsonNode exceptions(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
    }

    /**
     * A checkpoint to resume from: path itself when it holds _metadata (a chk-N or savepoint directory), else the
     * newest chk-N/_metadata anywhere under path (a --checkpoint-dir, which holds one directory per job).
     */
    public static Path latestCheckpoint(Path path) throws IOException {
        if (Files.isRegularFile(path.resolve("_metadata"))) return path;
        try (Stream<Path> files = Files.walk(path, 3)) {
            return files.filter(p -> p.getFileName().toString().equals("_metadata") && p.getParent().getFileName().toString().startsWith("chk-"))
                    .map(Path::getParent)
                    .max(Comparator.comparingLong(FlinkRest::modified))
                    .orElseThrow(() -> new IOException(path + " holds no complete checkpoint (no chk-N/_metadata)"));
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
