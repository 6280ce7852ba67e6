package dev.reformer.model.verify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our forward pass against the reference's outputs, number for number, in float64 and in float32. */
class HfFixtureParityTest {

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(HfFixtureParityTest.class.getResource("/hf-reformer/" + name).toURI());
    }

    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({
            "lsh_self_attention.json, DOUBLE", "lsh_self_attention.json, FLOAT",
            "lsh_self_attention_causal.json, DOUBLE", "lsh_self_attention_causal.json, FLOAT",
            "local_self_attention.json, DOUBLE", "local_self_attention.json, FLOAT",
            "reformer_model.json, DOUBLE", "reformer_model.json, FLOAT"})
    void matchesTheReference(String file, DataType dtype) throws Exception {
        HfVerifier.Report report = HfVerifier.verify(HfFixture.read(fixture(file)), dtype, HfVerifier.defaultTolerance(dtype));
        report.comparisons().forEach(c -> System.out.println(file + " " + dtype + ": " + c));
        assertTrue(!report.comparisons().isEmpty());
        for (Comparison c : report.comparisons()) assertTrue(c.passed(), file + " " + dtype + ": " + c);
    }
}
