package dev.reformer.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Flink session cluster on 127.0.0.1: a JobManager and TaskManagers, each its own JVM, started as Flink's
 * scripts start them (memory flags from BashJavaUtils) on this JVM's classpath, which holds Flink, the job and
 * ND4J: the cluster classpath of docs/DEPLOYMENT, with ND4J loaded parent-first. Every process is stopped by
 * {@link #close}, also when a test fails; logs go to the work directory.
 */
final class FlinkCluster implements AutoCloseable {
    /** What Flink's default env.java.opts.all opens on Java 17. */
    private static final List<String> JAVA_17_OPENS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
            // the job's float32 attention kernel, and no resident-size check on each native allocation (as ./reformer runs)
            "--add-modules=jdk.incubator.vector", "-Dorg.bytedeco.javacpp.maxphysicalbytes=0");

    private final Path work, configDir;
    final int restPort;
    private final List<Process> processes = new ArrayList<>();
    private final dev.reformer.client.FlinkRest rest;
    private int taskManagers;

    private final String classpath;

    /** Starts the JobManager on this JVM's classpath and waits for its REST endpoint. */
    FlinkCluster(Path work, int slotsPerTaskManager) throws Exception {
        this(work, slotsPerTaskManager, System.getProperty("java.class.path"));
    }

    /** Starts the JobManager on the given classpath (every process of the cluster takes it) and waits for its REST endpoint. */
    FlinkCluster(Path work, int slotsPerTaskManager, String classpath) throws Exception {
        this.work = work;
        this.classpath = classpath;
        this.configDir = Files.createDirectories(work.resolve("conf"));
        this.restPort = freePort();
        this.rest = new dev.reformer.client.FlinkRest("127.0.0.1:" + restPort);
        Files.writeString(configDir.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + freePort(),
                "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.memory.process.size: 1024m",
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.host: 127.0.0.1",
                "taskmanager.memory.process.size: 2048m",
                "taskmanager.memory.task.off-heap.size: 512m",
                "taskmanager.numberOfTaskSlots: " + slotsPerTaskManager,
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "blob.server.port: " + freePort(),
                "classloader.parent-first-patterns.additional: org.nd4j.;org.bytedeco.",
                // a machine with a core busy elsewhere starves a JVM for seconds at a time: a missed heartbeat or a slow
                // RPC there is load, not a lost process. A process killed with kill -9 is still noticed within seconds
                // (its heartbeat RPCs fail: heartbeat.rpc-failure-threshold), whatever these are
                "heartbeat.timeout: 60000",
                "pekko.ask.timeout: 60 s",
                ""));
        start("jobmanager", "GET_JM_RESOURCE_PARAMS", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                "--executionMode", "cluster");
        Process jobManager = processes.get(0);
        Await.until("the JobManager's REST endpoint on port " + restPort + " (log: " + work.resolve("jobmanager.log") + ")",
                Duration.ofSeconds(180), () -> get("/overview"), () -> exited(jobManager, "the JobManager"));
    }

    /**
     * Starts one more TaskManager and waits until the JobManager lists it, by its own resource id: not by a count of
     * TaskManagers, which a TaskManager killed just before (still listed until the JobManager notices, then gone)
     * makes wrong either way.
     */
    Process addTaskManager() throws Exception {
        String name = "taskmanager-" + taskManagers++;
        Process p = start(name, "GET_TM_RESOURCE_PARAMS", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "-D", "taskmanager.resource-id=" + name);
        Await.until("TaskManager " + name + " (pid " + p.pid() + ") to register with the JobManager (log: " + work.resolve(name + ".log") + ")",
                Duration.ofSeconds(180), () -> {
                    for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) if (tm.path("id").asText().equals(name)) return true;
                    return false;
                }, () -> exited(p, name));
        return p;
    }

    /** Why waiting on a process is pointless: it exited (with its code and where its output went), or null while it runs. */
    private String exited(Process p, String what) {
        return p.isAlive() ? null : what + " exited with code " + p.exitValue() + "; see " + work;
    }

    /** Copies the processes' logs to dest (a failed test's evidence outlives its temporary folder); returns dest. */
    Path keepLogs(Path dest) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(work)) {
            java.nio.file.Files.createDirectories(dest);
            for (Path f : files.filter(f -> f.toString().endsWith(".log") || f.toString().endsWith(".out")).toList()) {
                java.nio.file.Files.copy(f, dest.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("could not keep the cluster's logs: " + e);
        }
        return dest;
    }

    /** kill -9 of a process this cluster started (a TaskManager): no shutdown, as when a machine dies. */
    void killHard(Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(p.pid())).inheritIO().start();
        if (!kill.waitFor(60, TimeUnit.SECONDS) || kill.exitValue() != 0) throw new IllegalStateException("kill -9 " + p.pid() + " failed or did not return within 60 s");
        if (!p.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("process " + p.pid() + " had not exited 60 s after kill -9");
    }

    /** The job's completed checkpoints, as the REST API counts them. */
    CommittedResults.Checkpoints checkpoints(String jobId) {
        return () -> rest.completedCheckpoints(jobId);
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return rest.get(path);
    }

    void cancelAll() throws Exception {
        for (JsonNode job : get("/jobs").path("jobs")) {
            if (job.path("status").asText().equals("RUNNING")) rest.cancel(job.path("id").asText());
        }
    }

    private Process start(String name, String resourceQuery, String mainClass, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the JVM memory flags and -D settings Flink's own scripts would pass
        Process query = new ProcessBuilder(java, "-cp", classpath, "org.apache.flink.runtime.util.bash.BashJavaUtils", resourceQuery,
                "--configDir", configDir.toString()).redirectErrorStream(true).start();
        List<String> results = new String(query.getInputStream().readAllBytes()).lines()
                .filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:")).map(l -> l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length())).toList();
        if (query.waitFor() != 0 || results.size() < 2) throw new IllegalStateException("BashJavaUtils " + resourceQuery + " failed: " + results);
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(Arrays.asList(results.get(0).trim().split("\\s+")));
        command.addAll(JAVA_17_OPENS);
        command.add("-Dlog.file=" + work.resolve(name + ".log"));
        command.addAll(List.of("-cp", classpath, mainClass, "--configDir", configDir.toString()));
        command.addAll(Arrays.asList(args));
        command.addAll(Arrays.asList(results.get(1).trim().split("\\s+")));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + ".out").toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        Process p = builder.start();
        processes.add(p);
        return p;
    }

    /**
     * What a Flink distribution's lib/ holds, as docs/DEPLOYMENT.md lays the cluster out: Flink and its own
     * dependencies from this JVM's classpath (not the project, not Kafka or the connector, not ND4J), plus ND4J and
     * what it needs from pipeline/target/flink-lib. The job must then bring everything else in its shaded jar.
     */
    static String distributionClasspath(Path flinkLib) throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            boolean notInFlinkLib = e.contains("/dev/reformer/") || e.contains("/reformer-") || e.endsWith("classes")
                    || e.contains("/org/nd4j/") || e.contains("/org/bytedeco/") || e.contains("/org/apache/kafka/")
                    || e.contains("/flink-connector-kafka/") || e.contains("/flink-connector-base/") || e.contains("/info/picocli/")
                    || e.contains("/com/fasterxml/jackson/") || e.contains("/com/alphacephei/") || e.contains("/net/sf/")
                    || e.contains("/org/junit/") || e.contains("/org/opentest4j/");
            if (!notInFlinkLib) entries.add(entry);
        }
        try (var jars = Files.list(flinkLib)) {
            jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> entries.add(p.toString()));
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) p.descendants().forEach(ProcessHandle::destroyForcibly);
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
