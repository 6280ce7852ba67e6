package dev.reformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifyHfCommandTest {
    final Path fixture = Path.of(getClass().getResource("/lsh_self_attention.json").getPath());

    @Test
    void passesOnTheReferenceFixture() {
        String out = capture(() -> assertEquals(0, Main.run("verify-hf", fixture.toString())));
        assertTrue(out.contains("out_vectors") && out.contains("buckets") && out.contains("PASSED"), out);
    }

    @Test
    void failsWhenAnOutputIsOff(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(fixture.toFile());
        ArrayNode data = (ArrayNode) root.get("tensors").get("out_vectors").get("data");
        data.set(5, data.get(5).asDouble() + 0.01);
        Path broken = dir.resolve("broken.json");
        json.writeValue(broken.toFile(), root);
        String out = capture(() -> assertEquals(1, Main.run("verify-hf", "--dtype", "float64", broken.toString())));
        assertTrue(out.contains("FAIL") && out.contains("FAILED"), out);
    }

    /** Without --add-modules jdk.incubator.vector, float32 falls back to the scalar kernel and still matches. */
    @Test
    void float32WorksWithoutTheVectorModule() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "verify-hf", "--dtype", "float32", fixture.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("PASSED") && !out.contains("incubator"), out);
    }

    @Test
    void theDemoWithoutItsSamplesSaysWhereToRunIt() {
        assertEquals(2, Main.run("demo", "--samples", "no-such-samples"));
        assertEquals(2, Main.run("demo", "--speed", "0"));
    }

    @Test
    void explainsAMissingFile() {
        assertEquals(2, Main.run("verify-hf", "no-such-fixture.json"));
    }

    private static String capture(Runnable body) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true));
        try {
            body.run();
        } finally {
            System.setOut(original);
        }
        return buffer.toString();
    }
}
