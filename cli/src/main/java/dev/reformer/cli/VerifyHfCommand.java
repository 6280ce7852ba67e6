package dev.reformer.cli;

import dev.reformer.model.verify.Comparison;
import dev.reformer.model.verify.HfFixture;
import dev.reformer.model.verify.HfVerifier;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "verify-hf", mixinStandardHelpOptions = true,
        description = {"Check our Reformer against a reference fixture of HuggingFace transformers.",
                "Takes any fixture file of the shared format (layer-level: LSH or local self-attention; model-level:"
                        + " a ReformerModel with its parameters), runs our code with the fixture's config, parameters"
                        + " and rotations, and prints the max absolute and relative error of every tensor. Bucket ids"
                        + " must match exactly. For a model-level fixture with grad/ tensors it also runs the backward"
                        + " pass on the fixture's loss and checks every parameter's gradient (tolerance: 100x the"
                        + " float64 one, 1e-3 in float32).",
                "Relative error = max |ours - reference| / max |reference| per tensor.",
                "Exit code: 0 when every tensor is within tolerance, 1 when one is not, 2 on a usage or file error."},
        footer = {"", "Example: ./reformer verify-hf model/src/test/resources/hf-reformer/reformer_model.json --dtype both"})
final class VerifyHfCommand implements Callable<Integer> {
    enum Precision { float64, float32, both }

    @Parameters(arity = "1..*", paramLabel = "FILE.json", description = "Fixture files to check.")
    List<Path> files;

    @Option(names = "--dtype", defaultValue = "both",
            description = "Compute in float64, float32 or both (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--tolerance", paramLabel = "REL",
            description = "Largest relative error accepted (default: 1e-10 in float64, 1e-4 in float32).")
    Double tolerance;

    @Override
    public Integer call() throws Exception {
        boolean allPassed = true;
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + " does not exist; the reference fixtures are in"
                        + " model/src/test/resources/hf-reformer/ (copies of ../shared/fixtures/hf-reformer/)");
            }
            HfFixture fixture = HfFixture.read(file);
            for (DataType dtype : dtypes()) {
                double tol = tolerance != null ? tolerance : HfVerifier.defaultTolerance(dtype);
                HfVerifier.Report report = HfVerifier.verify(fixture, dtype, tol);
                System.out.printf("%s  (%s, computed in %s)%n", file, report.kind().name().toLowerCase().replace('_', ' '),
                        dtype == DataType.DOUBLE ? "float64" : "float32");
                int width = report.comparisons().stream().mapToInt(c -> c.name().length()).max().orElse(20);
                for (Comparison c : report.comparisons()) System.out.println("  " + c.format(width));
                for (String note : report.notes()) System.out.println("  note: " + note);
                System.out.println(report.passed() ? "  PASSED" : "  FAILED");
                allPassed &= report.passed();
            }
        }
        return allPassed ? 0 : 1;
    }

    private List<DataType> dtypes() {
        return switch (precision) {
            case float64 -> List.of(DataType.DOUBLE);
            case float32 -> List.of(DataType.FLOAT);
            case both -> List.of(DataType.DOUBLE, DataType.FLOAT);
        };
    }
}
