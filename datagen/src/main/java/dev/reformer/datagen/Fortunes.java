package dev.reformer.datagen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Language identification from Debian's fortune packages: one label per language, the entries of that language's
 * packages as texts. A fortune file holds entries separated by lines holding only "%"; the files of a package are found
 * with dpkg-query -L (the package's own list, so files of other packages in the same folder are not mixed in).
 */
public final class Fortunes {
    /** A language, its ISO 639-1 code as the label, and the packages that hold its fortunes. */
    public record Language(String code, List<String> packages) {}

    public static final List<Language> LANGUAGES = List.of(
            new Language("en", List.of("fortunes")), new Language("de", List.of("fortunes-de")),
            new Language("es", List.of("fortunes-es")), new Language("it", List.of("fortunes-it")),
            new Language("ru", List.of("fortunes-ru")), new Language("pl", List.of("fortunes-pl")),
            new Language("cs", List.of("fortunes-cs")), new Language("eo", List.of("fortunes-eo")),
            new Language("pt", List.of("fortunes-br", "fortunes-mario")), new Language("zh", List.of("fortunes-zh")),
            new Language("bg", List.of("fortunes-bg")), new Language("ga", List.of("fortunes-ga")));
    private static final String FOLDER = "/usr/share/games/fortunes/";
    /** Entries shorter than this say too little to tell a language by (code points). */
    public static final int MIN_LENGTH = 12, MAX_LENGTH = 600;

    private Fortunes() {}

    /** Whether every package of the language is installed. */
    public static boolean installed(Language language) {
        return language.packages().stream().allMatch(Tool::packageInstalled);
    }

    /**
     * The fortune files of an installed package, sorted: not the .dat indexes nor .u8 copies; not the offensive
     * sections (off/), which no one should be asked to read when checking a data set; not the Slovak file of the
     * Czech package (another language).
     */
    public static List<Path> files(String debianPackage) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String line : new String(Tool.run(List.of("dpkg-query", "-L", debianPackage), null), StandardCharsets.UTF_8).split("\n")) {
            if (!line.startsWith(FOLDER) || line.endsWith(".dat") || line.endsWith(".u8") || line.contains("/off/") || line.endsWith("-sk")) continue;
            Path p = Path.of(line);
            if (Files.isRegularFile(p) && !Files.isSymbolicLink(p)) files.add(p);
        }
        files.sort(null);
        return files;
    }

    /** The usable entries of one fortune file's text, cleaned (see {@link #usable}). */
    public static List<String> entries(String fileText) {
        List<String> entries = new ArrayList<>();
        StringBuilder entry = new StringBuilder();
        for (String line : (fileText + "\n%").split("\n")) {
            if (line.strip().equals("%")) {
                String text = TextSets.clean(entry.toString());
                if (usable(text)) entries.add(text);
                entry.setLength(0);
            } else {
                entry.append(line).append('\n');
            }
        }
        return entries;
    }

    /** Long enough to hold a sentence, short enough not to be a story, mostly letters (not ASCII art), decoded cleanly. */
    public static boolean usable(String text) {
        int length = text.codePointCount(0, text.length());
        if (length < MIN_LENGTH || length > MAX_LENGTH || text.indexOf('\uFFFD') >= 0) return false;
        long letters = text.codePoints().filter(Character::isLetter).count();
        long visible = text.codePoints().filter(c -> !Character.isWhitespace(c)).count();
        return letters >= 0.6 * visible;
    }

    /** Every usable entry of a language's installed packages, in file order. */
    public static List<String> entries(Language language) throws IOException {
        List<String> all = new ArrayList<>();
        for (String debianPackage : language.packages()) {
            for (Path file : files(debianPackage)) all.addAll(entries(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)));  // bad bytes become U+FFFD, and such entries are dropped
        }
        return all;
    }

    /** "de (fortunes-de)" for messages. */
    public static String describe(Language language) {
        return language.code().toLowerCase(Locale.ROOT) + " (" + String.join(", ", language.packages()) + ")";
    }
}
