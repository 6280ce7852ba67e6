package dev.reformer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Peers' figures measured elsewhere (a JSON-lines file such as ../shared/benchmarks/peer-reformer-pytorch.jsonl):
 * one line per cell, {"cell", "impl", "length", "hash_rounds", "median_ms", "peak_mib", ...}, and a header line
 * with "sgemm_gflops_same_machine", ND4J's 2048 x 2048 sgemm measured on the peers' machine in the same hour.
 * A peer's time is read on this machine by scaling it with the two sgemm yardsticks: peer ms x (their sgemm / ours).
 */
public record Peers(double sgemmGflops, List<Cell> cells) {
    /** One peer measurement; hashRounds is 0 for a dense cell. */
    public record Cell(String cell, String impl, int length, int hashRounds, double medianMs, double peakMib) {}

    public static Peers read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--peer " + file + ": no such file (the peers' figures are in ../shared/benchmarks/peer-reformer-pytorch.jsonl)");
        }
        ObjectMapper json = new ObjectMapper();
        double sgemm = Double.NaN;
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode line;
            try {
                line = json.readTree(lines.get(i));
            } catch (IOException e) {
                throw new IllegalArgumentException("--peer " + file + " line " + (i + 1) + " is not JSON: " + e.getMessage());
            }
            if (line.has("sgemm_gflops_same_machine")) sgemm = line.get("sgemm_gflops_same_machine").asDouble();
            if (!line.has("cell")) continue;
            cells.add(new Cell(line.get("cell").asText(), line.path("impl").asText(), line.path("length").asInt(),
                    line.path("hash_rounds").asInt(0), line.path("median_ms").asDouble(Double.NaN), line.path("peak_mib").asDouble(Double.NaN)));
        }
        if (Double.isNaN(sgemm)) {
            throw new IllegalArgumentException("--peer " + file + " has no line with \"sgemm_gflops_same_machine\": without the peers'"
                    + " yardstick their times cannot be read on this machine");
        }
        return new Peers(sgemm, cells);
    }

    public Optional<Cell> find(String cell, String impl, int length, int hashRounds) {
        return cells.stream().filter(c -> c.cell.equals(cell) && c.impl.equals(impl) && c.length == length && c.hashRounds == hashRounds).findFirst();
    }

    /** The peer's time as it would be on this machine: scaled by the ratio of the two sgemm yardsticks. */
    public double scaledMs(Cell peer, double ourSgemmGflops) {
        return peer.medianMs * sgemmGflops / ourSgemmGflops;
    }
}
