package dev.reformer.client;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A one-node KRaft Kafka broker for the bench, the demo and tests: as its own process started from the kafka_2.13 jars
 * on this JVM's classpath, listening on 127.0.0.1 only, as a production broker runs (its own heap, collector and JIT
 * compiler; Kafka's own start script's JVM flags); or inside this JVM (Kafka's test kit, up in about 4 s), which
 * listens on every interface (the kit binds its sockets to the wildcard address, with no setting to change it), so
 * only the bench offers it (`--kafka jvm`). Topics and transactions need no more than one replica. {@link #close}
 * stops and deletes it.
 */
public final class LocalKafka implements AutoCloseable {
    /** Where the broker runs. */
    public enum Placement {
        IN_THIS_JVM, OWN_PROCESS;

        /** "process" or "jvm", as --kafka says it. */
        public static Placement of(String option) {
            return switch (option) {
                case "process" -> OWN_PROCESS;
                case "jvm" -> IN_THIS_JVM;
                default -> throw new IllegalArgumentException("--kafka is process or jvm, not '" + option + "'");
            };
        }
    }

    private final KafkaClusterTestKit inJvm;
    private final Process process;
    private final Thread stopAtExit;
    private final Path dir;
    private final String bootstrapServers;

    private LocalKafka(KafkaClusterTestKit inJvm, Process process, Path dir, String bootstrapServers) {
        this.inJvm = inJvm;
        this.process = process;
        this.dir = dir;
        this.bootstrapServers = bootstrapServers;
        this.stopAtExit = process == null ? null : new Thread(this::kill, "stop local kafka");
        if (stopAtExit != null) Runtime.getRuntime().addShutdownHook(stopAtExit);   // Ctrl-C leaves no broker behind
    }

    public static LocalKafka start(Placement placement) throws Exception {
        return placement == Placement.IN_THIS_JVM ? inThisJvm() : ownProcess(Files.createTempDirectory("reformer-kafka-"));
    }

    /** Kafka's test kit in this JVM: note that it listens on every interface, not only 127.0.0.1. */
    public static LocalKafka inThisJvm() throws Exception {
        KafkaClusterTestKit kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
                .setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("transaction.state.log.replication.factor", "1").setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("offsets.topic.replication.factor", "1").setConfigProp("group.initial.rebalance.delay.ms", "0").build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
        return new LocalKafka(kafka, null, null, kafka.bootstrapServers());
    }

    /** Formats dir and starts the broker there; its log is dir/broker.log. Waits until it answers (at most 90 s). */
    public static LocalKafka ownProcess(Path dir) throws Exception {
        int port = freePort(), controllerPort = freePort();
        Path config = dir.resolve("server.properties"), log = dir.resolve("broker.log");
        Files.writeString(config, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "") );
        Process format = java(dir, log, "kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(), "-c", config.toString());
        if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IOException("formatting the Kafka log directory failed; see " + log + "\n" + tail(log));
        }
        Process broker = java(dir, log, BrokerMain.class.getName(), config.toString());   // Kafka's main, stopping with this JVM
        LocalKafka kafka = new LocalKafka(null, broker, dir, "127.0.0.1:" + port);
        try {
            kafka.awaitReady(Duration.ofSeconds(180));   // a JVM start on a machine with a core busy elsewhere
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /**
     * Leaves stopping the broker to {@link #close} when this JVM exits (Ctrl-C): for a caller whose clients must stop
     * first (the demo closes Flink, whose tasks still talk to the broker, then the broker). If this JVM dies without
     * closing, the broker still stops itself ({@link BrokerMain} watches its starter).
     */
    public LocalKafka closedByCaller() {
        if (stopAtExit != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException exiting) {
                // already shutting down: the hook runs anyway
            }
        }
        return this;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's process id, or -1 when it runs in this JVM. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    private void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("request.timeout.ms", "3000");
        p.put("default.api.timeout.ms", "3000");
        Path log = dir.resolve("broker.log");
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the Kafka broker exited (code " + process.exitValue() + "); see " + log + "\n" + tail(log));
            }
            Exception notYet = null;
            // an admin client before the port listens logs a warning per attempt: wait for the port first
            try (Admin admin = listening() ? Admin.create(p) : null) {
                if (admin != null && !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) return;
            } catch (Exception e) {
                notYet = e;
            }
            if (System.nanoTime() > end) throw new IOException("the Kafka broker did not answer on " + bootstrapServers + " within "
                    + timeout.toSeconds() + " s; see " + log + "\n" + tail(log), notYet);
            Thread.sleep(200);
        }
    }

    private boolean listening() {
        int colon = bootstrapServers.lastIndexOf(':');
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(bootstrapServers.substring(0, colon),
                    Integer.parseInt(bootstrapServers.substring(colon + 1))), 1000);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** A JVM on this JVM's classpath, with Kafka's start script's heap and collector settings, output to log. */
    private static Process java(Path dir, Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (inJvm != null) {
            inJvm.close();
            return;
        }
        process.destroy();   // SIGTERM: the broker shuts down cleanly
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException exiting) {
            // already shutting down: the hook runs anyway
        }
        deleteRecursively(dir);
    }

    /** At JVM exit (Ctrl-C included): no broker process and no log directory left behind. */
    private void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            deleteRecursively(dir);
        } catch (IOException | InterruptedException e) {
            // exiting anyway; the temporary directory is all that may remain
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }
}
