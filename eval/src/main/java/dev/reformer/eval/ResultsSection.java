package dev.reformer.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One evaluation as a markdown section for docs/RESULTS.md: a heading naming model and manifest and one table. The
 * section sits between two marker comments naming model and manifest, so that running the same evaluation again
 * replaces it in place and other sections stay as they are.
 */
public final class ResultsSection {
    /** One row of the table: system, its score (e.g. "accuracy 0.9512"), its speed (e.g. "41.3x real time"). */
    public record Row(String system, String metric, String speed) {}

    private ResultsSection() {}

    public static String markerOf(String model, String manifest) {
        return "<!-- reformer eval: model=" + model + " manifest=" + manifest + " -->";
    }

    /** The section, markers included, ending with a newline. */
    public static String markdown(String model, String manifest, String note, String speedHeading, List<Row> rows) {
        return markdown(model, manifest, note, speedHeading, rows, "");
    }

    /** The same with more markdown (e.g. breakdowns by speaker) after the table. */
    public static String markdown(String model, String manifest, String note, String speedHeading, List<Row> rows, String after) {
        StringBuilder md = new StringBuilder(markerOf(model, manifest)).append('\n');
        md.append("### ").append(model).append(" on ").append(manifest).append("\n\n");
        if (!note.isBlank()) md.append(note.strip()).append("\n\n");
        md.append("| system | metric | ").append(speedHeading).append(" |\n| --- | --- | --- |\n");
        for (Row r : rows) md.append("| ").append(cell(r.system())).append(" | ").append(cell(r.metric())).append(" | ").append(cell(r.speed())).append(" |\n");
        if (!after.isBlank()) md.append('\n').append(after.strip()).append('\n');
        md.append("<!-- end reformer eval -->\n");
        return md.toString();
    }

    /** Puts the section into the file: replaces the one with the same marker, or appends it (creating the file). */
    public static void insertOrReplace(Path file, String section) throws IOException {
        String marker = section.substring(0, section.indexOf('\n'));
        String end = "<!-- end reformer eval -->\n";
        String text = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        int start = text.indexOf(marker);
        if (start >= 0) {
            int stop = text.indexOf(end, start);
            if (stop < 0) throw new IOException(file + " has the marker " + marker + " but no " + end.strip() + " after it");
            text = text.substring(0, start) + section + text.substring(stop + end.length());
        } else {
            text = text.isEmpty() ? section : text + (text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n") + section;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
