package dev.reformer.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeersTest {
    @TempDir
    Path dir;

    @Test
    void readsCellsAndScalesThemByTheTwoYardsticks() throws Exception {
        Path file = dir.resolve("peers.jsonl");
        Files.writeString(file, """
                {"about": "two peers", "sgemm_gflops_same_machine": 80.0}
                {"cell": "lsh", "impl": "hf", "length": 1024, "hash_rounds": 2, "median_ms": 16.0, "peak_mib": 39.2}
                {"cell": "lsh", "impl": "lucid", "length": 1024, "hash_rounds": 2, "median_ms": 15.0, "peak_mib": 44.0}
                {"cell": "dense", "impl": "hf", "length": 1024, "hash_rounds": null, "median_ms": 22.0, "peak_mib": 60.0}

                """);
        Peers peers = Peers.read(file);
        assertEquals(80.0, peers.sgemmGflops());
        Peers.Cell hf = peers.find("lsh", "hf", 1024, 2).orElseThrow();
        assertEquals(16.0, hf.medianMs());
        assertEquals(39.2, hf.peakMib());
        // a machine twice as fast at sgemm reads the peer's 16 ms as 8 ms
        assertEquals(8.0, peers.scaledMs(hf, 160.0), 1e-9);
        assertEquals(22.0, peers.find("dense", "hf", 1024, 0).orElseThrow().medianMs());
        assertTrue(peers.find("lsh", "hf", 4096, 2).isEmpty());
    }

    @Test
    void saysWhatIsWrongWithAFile() throws Exception {
        Path noYardstick = dir.resolve("a.jsonl"), notJson = dir.resolve("b.jsonl");
        Files.writeString(noYardstick, "{\"cell\": \"lsh\", \"impl\": \"hf\", \"length\": 1024, \"hash_rounds\": 1, \"median_ms\": 10}\n");
        Files.writeString(notJson, "{\"sgemm_gflops_same_machine\": 80}\nnot json\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Peers.read(noYardstick)).getMessage().contains("sgemm_gflops_same_machine"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Peers.read(notJson)).getMessage().contains("line 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Peers.read(dir.resolve("missing.jsonl"))).getMessage().contains("no such file"));
    }
}
