package dev.reformer.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** A temporary folder for the baselines' files (grammars, clips, fastText's 80 MB models), deleted on close. */
public record WorkDir(Path path) implements AutoCloseable {
    public static WorkDir create() throws IOException {
        return new WorkDir(Files.createTempDirectory("reformer-eval"));
    }

    @Override
    public void close() throws IOException {
        deleteTree(path);
    }

    /** Deletes a folder and all it holds; nothing when it does not exist. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
