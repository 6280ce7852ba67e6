package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.cli.Main;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `./reformer demo --duration 60 --no-ui` as README's first command runs it: its own Kafka broker and Flink
 * MiniCluster, both jobs on the shipped models, the bundled samples replayed at real-time pace. The known samples must
 * come back as expected (every message's language or spam label; most spoken commands and a share of the digit strings,
 * as the shipped models hear them: docs/RESULTS.md), nothing must be a dead letter, and nothing may be left listening.
 */
class DemoTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path work;

    @Test
    void theDemoHearsTheKnownSamplesAndLeavesNothingRunning() throws Exception {
        Path summaryFile = work.resolve("summary.json");
        assertEquals(0, Main.run("demo", "--duration", "60", "--no-ui", "--samples", ROOT.resolve("samples").toString(),
                "--models", ROOT.resolve("models").toString(), "--summary", summaryFile.toString()));
        JsonNode s = new ObjectMapper().readTree(summaryFile.toFile());

        JsonNode text = s.get("text");
        assertEquals(12, text.get("messages").asInt());
        assertEquals(text.get("messages").asInt(), text.get("right").asInt(), "every message's label: " + s.get("misses"));
        // 26 commands and unknown words in 6 streams; chance is 1 in 12, the shipped model gets 19 (held-out voices, noise)
        JsonNode commands = s.get("commands");
        assertEquals(26, commands.get("words").asInt(), "a label for every spoken word's windows");
        assertTrue(commands.get("right").asInt() >= 15, "commands heard right: " + commands + " " + s.get("misses"));
        // 18 digit strings; the shipped transcriber gets 6 exactly (one stream's noise hides every pause from the detector)
        JsonNode digits = s.get("digits");
        assertEquals(18, digits.get("strings").asInt());
        assertTrue(digits.get("exact").asInt() >= 4, "digit strings transcribed exactly: " + digits + " " + s.get("misses"));
        assertEquals(0, s.get("dead_letters").asInt());
        assertTrue(s.get("results").asInt() > 400, "results of the first playing and after: " + s.get("results"));

        // stopped: neither Kafka's port nor the web UI's still answers
        String[] kafka = s.get("kafka").asText().split(":");
        assertFalse(listening(kafka[0], Integer.parseInt(kafka[1])), "Kafka still listens on " + s.get("kafka"));
        assertFalse(listening("127.0.0.1", s.get("web_ui_port").asInt()), "Flink's web UI still listens on " + s.get("web_ui_port"));
    }

    @Test
    void ctrlCStopsEverythingAndLeavesNoProcessOrPort() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process demo = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.reformer.cli.Main", "demo", "--no-ui", "--web-ui-port", "0", "--samples", ROOT.resolve("samples").toString(),
                "--models", ROOT.resolve("models").toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("demo.out").toFile()).start();
        try {
            // wait for the first answers: Kafka, Flink, both jobs and the replay are all up
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            String out = "";
            while (!out.contains("(audio,") && System.nanoTime() < deadline && demo.isAlive()) {
                Thread.sleep(500);
                out = Files.readString(work.resolve("demo.out"));
            }
            assertTrue(out.contains("(audio,"), "the demo answered nothing within 3 minutes:\n" + out);
            Matcher kafka = Pattern.compile("Kafka at ([0-9.]+):(\\d+)").matcher(out);
            Matcher web = Pattern.compile("web UI http://127.0.0.1:(\\d+)").matcher(out);
            assertTrue(kafka.find() && web.find(), out);
            List<ProcessHandle> children = demo.descendants().toList();
            assertFalse(children.isEmpty(), "the broker runs as the demo's child process");

            new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();   // Ctrl-C
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo did not stop within 60 s of Ctrl-C");
            assertEquals(130, demo.exitValue());
            for (ProcessHandle child : children) {
                child.onExit().get(30, TimeUnit.SECONDS);
                assertFalse(child.isAlive(), "left running: " + child.info().commandLine().orElse(Long.toString(child.pid())));
            }
            assertFalse(listening(kafka.group(1), Integer.parseInt(kafka.group(2))), "Kafka still listens");
            assertFalse(listening("127.0.0.1", Integer.parseInt(web.group(1))), "Flink's web UI still listens");
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    private static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
