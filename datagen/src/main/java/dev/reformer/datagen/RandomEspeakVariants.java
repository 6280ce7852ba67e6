package dev.reformer.datagen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * espeak-ng voice variants made up at random, to be heard in training only. espeak-ng's stock variants are a few
 * dozen speakers; a model trained on them learns those timbres and trips on a held-out one (a breathy voice with an
 * echo, say). A made-up variant draws each of the settings the stock variants use — pitch, the nine formants'
 * frequency, strength and width, breathiness, voicing, roughness, flutter, echo, tone, the Klatt synthesiser — from
 * the range those variants span, so training hears hundreds of speakers instead. The held-out voices stay stock
 * variants ({@link VoiceSplit#TRAINING_ONLY_POOL}); the Klatt settings of the held-out and validation variants
 * (klatt 1 and 3 alone) are not drawn.
 *
 * <p>espeak-ng reads variants only from its data folder, so {@link #write} builds a private one: links to the
 * system's files, and voices/!v holding the made-up variants; {@code espeak-ng --path DIR} reads it.
 */
public final class RandomEspeakVariants {
    public static final String PREFIX = "random";

    private RandomEspeakVariants() {}

    /** The name of the i-th variant, "random007". */
    public static String name(int i) {
        return String.format(Locale.ROOT, "%s%03d", PREFIX, i);
    }

    /**
     * (Re)builds dir/seed-S-N/espeak-ng-data with count made-up variants, the same files for the same seed, and returns
     * that folder (what espeak-ng's --path takes).
     */
    public static Path write(Path dir, int count, long seed) throws IOException {
        // a folder per seed and count: two runs sharing a cache must not rebuild each other's variants mid-run
        dir = dir.resolve("seed-" + seed + "-" + count);
        Path system = systemDataFolder(), data = dir.resolve("espeak-ng-data");
        deleteTree(data);
        Path variants = data.resolve("voices").resolve("!v");
        Files.createDirectories(variants);
        try (Stream<Path> entries = Files.list(system)) {
            for (Path p : entries.toList()) if (!p.getFileName().toString().equals("voices")) Files.createSymbolicLink(data.resolve(p.getFileName().toString()), p);
        }
        try (Stream<Path> entries = Files.list(system.resolve("voices"))) {
            for (Path p : entries.toList()) {
                if (!p.getFileName().toString().equals("!v")) Files.createSymbolicLink(data.resolve("voices").resolve(p.getFileName().toString()), p);
            }
        }
        for (int i = 0; i < count; i++) {
            String name = name(i);
            Files.writeString(variants.resolve(name), variant(name, Seeds.random(seed, "espeak-random-variant", i)), StandardCharsets.UTF_8);
        }
        return dir.toAbsolutePath();
    }

    /** One variant file. The ranges span espeak-ng's stock variants (voices/!v): see the class comment. */
    public static String variant(String name, SplittableRandom r) {
        StringBuilder v = new StringBuilder("language variant\nname ").append(name).append('\n');
        boolean female = r.nextBoolean();
        v.append("gender ").append(female ? "female" : "male").append('\n');
        int base = female ? 140 + r.nextInt(110) : 55 + r.nextInt(95);   // Hz, as the stock variants' 43-200 and 142-300
        v.append("pitch ").append(base).append(' ').append(base + 20 + r.nextInt(130)).append('\n');
        // a shorter vocal tract raises every formant together; each then moves a little on its own
        double tract = female ? 1.0 + 0.25 * r.nextDouble() : 0.8 + 0.25 * r.nextDouble();
        for (int k = 0; k <= 8; k++) {
            int frequency = (int) Math.round(100 * tract * (0.9 + 0.2 * r.nextDouble()));
            v.append("formant ").append(k).append(' ').append(frequency).append(' ').append(50 + r.nextInt(130))
                    .append(' ').append(60 + r.nextInt(120)).append('\n');
        }
        if (r.nextDouble() < 0.4) v.append("flutter ").append(r.nextInt(21)).append('\n');
        v.append("roughness ").append(r.nextInt(6)).append('\n');
        if (r.nextDouble() < 0.5) v.append("voicing ").append(30 + r.nextInt(140)).append('\n');
        if (r.nextDouble() < 0.4) {
            v.append("breath");
            for (int k = 0; k < 8; k++) v.append(' ').append(r.nextInt(16));
            v.append('\n');
            if (r.nextBoolean()) {
                v.append("breathw");
                for (int k = 0; k < 8; k++) v.append(' ').append(60 + r.nextInt(340));
                v.append('\n');
            }
        }
        if (r.nextDouble() < 0.4) v.append("echo ").append(10 + r.nextInt(150)).append(' ').append(5 + r.nextInt(46)).append('\n');
        if (r.nextDouble() < 0.3) {
            v.append("tone 600 ").append(40 + r.nextInt(216)).append(" 1200 ").append(40 + r.nextInt(216))
                    .append(" 2000 ").append(40 + r.nextInt(216)).append('\n');
        }
        if (r.nextDouble() < 0.25) v.append("klatt ").append(new int[] {2, 4, 5, 6}[r.nextInt(4)]).append('\n');
        return v.toString();
    }

    /** Where the installed espeak-ng keeps its data: its --version says "Data at: DIR". */
    private static Path systemDataFolder() throws IOException {
        String version = new String(Tool.run(List.of("espeak-ng", "--version"), null), StandardCharsets.UTF_8);
        int at = version.indexOf("Data at:");
        if (at < 0) throw new IOException("espeak-ng --version does not say where its data is: " + version.trim());
        Path folder = Path.of(version.substring(at + "Data at:".length()).trim());
        if (!Files.isDirectory(folder.resolve("voices"))) throw new IOException("espeak-ng's data folder " + folder + " has no voices/");
        return folder;
    }

    /** Deletes a folder and what is in it; links are removed, not followed. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) Files.delete(p);
    }
}
