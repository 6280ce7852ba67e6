package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.body.CallableDeclaration;
import com.github.javaparser.ast.body.TypeDeclaration;
import com.github.javaparser.ast.comments.Comment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape of the main code, as docs/ARCHITECTURE.md promises it: no module holds more than 35 % of the lines, no
 * class is over 400 lines and no method over 60. A method may be longer only when its comment says why and calls it
 * table-like or generated (a list of options read one by one, say), which the reader can then skim.
 */
class CodeShapeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final double MAX_MODULE_SHARE = 0.35;
    private static final int MAX_CLASS_LINES = 400, MAX_METHOD_LINES = 60;

    @Test
    void noModuleHoldsMoreThanItsShareOfTheMainCode() throws IOException {
        Map<String, Long> lines = new TreeMap<>();
        for (Path file : mainSources()) lines.merge(ROOT.relativize(file).getName(0).toString(), (long) Files.readAllLines(file).size(), Long::sum);
        long total = lines.values().stream().mapToLong(Long::longValue).sum();
        assertTrue(lines.keySet().containsAll(List.of("model", "audio-frontend", "pipeline", "protocol", "task", "cli")), lines.toString());
        List<String> tooBig = new ArrayList<>();
        lines.forEach((module, n) -> {
            if (n > MAX_MODULE_SHARE * total) tooBig.add(String.format(Locale.ROOT, "%s: %d of %d lines (%.1f %%)", module, n, total, 100.0 * n / total));
        });
        assertEquals(List.of(), tooBig, "modules over " + Math.round(MAX_MODULE_SHARE * 100) + " % of the main code; all: " + lines);
    }

    @Test
    void noClassOver400LinesAndNoMethodOver60() throws IOException {
        JavaParser parser = new JavaParser(new ParserConfiguration().setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_17));
        List<String> tooLong = new ArrayList<>();
        for (Path file : mainSources()) {
            CompilationUnit unit = parser.parse(file).getResult().orElseThrow(() -> new AssertionError("cannot parse " + file));
            String where = ROOT.relativize(file).toString();
            for (TypeDeclaration<?> type : unit.getTypes()) {
                int n = lines(type);
                if (n > MAX_CLASS_LINES) tooLong.add(where + ": class " + type.getNameAsString() + " has " + n + " lines");
            }
            for (CallableDeclaration<?> callable : unit.findAll(CallableDeclaration.class)) {
                int n = lines(callable);
                if (n > MAX_METHOD_LINES && !excused(callable)) {
                    tooLong.add(where + ":" + callable.getBegin().orElseThrow().line + ": " + callable.getNameAsString() + " has " + n + " lines");
                }
            }
        }
        assertEquals(List.of(), tooLong, "classes over " + MAX_CLASS_LINES + " lines or methods over " + MAX_METHOD_LINES
                + " (a longer method needs a comment calling it table-like or generated, and saying why)");
    }

    private static boolean excused(CallableDeclaration<?> callable) {
        String comment = callable.getComment().map(Comment::getContent).orElse("").toLowerCase(Locale.ROOT);
        return comment.contains("table-like") || comment.contains("generated");
    }

    private static int lines(com.github.javaparser.ast.Node node) {
        return node.getEnd().orElseThrow().line - node.getBegin().orElseThrow().line + 1;
    }

    private static List<Path> mainSources() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).toList()) {
                try (Stream<Path> walk = Files.walk(module.resolve("src/main/java"))) {
                    walk.filter(f -> f.toString().endsWith(".java")).forEach(files::add);
                }
            }
        }
        assertTrue(files.size() > 50, "the main sources are found under " + ROOT + " (found " + files.size() + ")");
        return files;
    }
}
