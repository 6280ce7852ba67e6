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
import java.time.Duration;
import java.util.ArrayList;
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
        // readable (read_committed) only at the commit after the result's emission: never sooner, per result
        JsonNode visible = s.get("visible_ms"), emitted = s.get("latency_ms");
        for (String q : new String[]{"audio_p50", "audio_p99", "text_p50", "text_p99"}) {
            assertTrue(visible.get(q).asLong() >= emitted.get(q).asLong() && emitted.get(q).asLong() >= 0, q + ": visible " + visible + ", emitted " + emitted);
        }
        assertTrue(s.get("results").asInt() > 400, "results of the first playing and after: " + s.get("results"));

        // stopped: neither Kafka's port nor the web UI's still answers
        String[] kafka = s.get("kafka").asText().split(":");
        assertFalse(listening(kafka[0], Integer.parseInt(kafka[1])), "Kafka still listens on " + s.get("kafka"));
        assertFalse(listening("127.0.0.1", s.get("web_ui_port").asInt()), "Flink's web UI still listens on " + s.get("web_ui_port"));
    }

    @Test
    void ctrlCStopsEverythingAndLeavesNoProcessOrPort() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        // a JVM started with SIGINT ignored (a build run in the background by a shell without job control passes that
        // on) can never see Ctrl-C: start the demo with SIGINT's default disposition, as a terminal would
        if (sigintIgnored()) command.addAll(List.of("env", "--default-signal=INT"));
        // --duration: the demo loops for 15 minutes, so it cannot end on its own (exit 0) before the Ctrl-C however slow
        // the machine; without it, a slow machine's first answers can come as the demo is done
        command.addAll(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.reformer.cli.Main", "demo", "--duration", "900", "--no-ui", "--web-ui-port", "0",
                "--samples", ROOT.resolve("samples").toString(), "--models", ROOT.resolve("models").toString()));
        Path log = work.resolve("demo.out");
        Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // the stated point: the first answers, so Kafka, Flink, both jobs and the replay are all up
            String out = Await.until("the demo's first audio answer ('(audio,' in " + log + ")", Duration.ofSeconds(300), () -> {
                String o = Files.readString(log);
                return o.contains("(audio,") ? o : null;
            }, () -> demo.isAlive() ? null : "the demo exited with " + demo.exitValue() + ":\n" + Files.readString(log));
            Matcher kafka = Pattern.compile("Kafka at ([0-9.]+):(\\d+)").matcher(out);
            Matcher web = Pattern.compile("web UI http://127.0.0.1:(\\d+)").matcher(out);
            assertTrue(kafka.find() && web.find(), out);
            List<ProcessHandle> children = demo.descendants().toList();
            assertFalse(children.isEmpty(), "the broker runs as the demo's child process");

            assertTrue(demo.isAlive(), "the demo still runs when Ctrl-C comes");
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).inheritIO().start();   // Ctrl-C
            assertTrue(kill.waitFor(60, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -INT " + demo.pid());
            assertTrue(demo.waitFor(180, TimeUnit.SECONDS), "the demo did not stop within 180 s of Ctrl-C:\n" + Files.readString(log));
            assertEquals(130, demo.exitValue(), "the demo's exit code after Ctrl-C; its output:\n" + Files.readString(log));
            for (ProcessHandle child : children) {
                try {
                    child.onExit().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException stillThere) {
                    // asserted just below, with the child's command line
                }
                assertFalse(child.isAlive(), "left running 60 s after the demo: " + child.info().commandLine().orElse(Long.toString(child.pid())));
            }
            assertFalse(listening(kafka.group(1), Integer.parseInt(kafka.group(2))), "Kafka still listens");
            assertFalse(listening("127.0.0.1", Integer.parseInt(web.group(1))), "Flink's web UI still listens");
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    /** Whether this JVM was started with SIGINT ignored (Linux: the SigIgn mask of /proc/self/status), which its children inherit. */
    private static boolean sigintIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;   // SIGINT = 2
            }
        } catch (IOException | RuntimeException noProcfs) {
            // not Linux: nothing to read, and nothing to undo
        }
        return false;
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
