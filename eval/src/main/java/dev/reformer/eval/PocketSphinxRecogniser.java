package dev.reformer.eval;

import dev.reformer.datagen.Audio;
import dev.reformer.datagen.Tool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * pocketsphinx (Debian packages pocketsphinx, pocketsphinx-en-us) with a JSGF {@link Grammar} and a dictionary cut
 * down to the grammar's words. One {@code pocketsphinx_batch} process decodes every clip of a call, each clip one
 * utterance ({@code pocketsphinx_continuous} would load the model for every file and split a clip where its voice
 * detector hears a pause); its time includes that one process start and model load.
 */
public final class PocketSphinxRecogniser implements Recogniser {
    public static final Tool BATCH = new Tool("pocketsphinx_batch", "pocketsphinx", "the pocketsphinx baseline");
    public static final Path MODEL = Path.of("/usr/share/pocketsphinx/model/en-us");

    private final Path workDir, grammarFile, dictionaryFile;

    /** Writes the grammar and dictionary into {@code workDir}. */
    public PocketSphinxRecogniser(Grammar grammar, Path workDir) throws IOException {
        this.workDir = workDir;
        grammarFile = grammar.writeJsgf(workDir);
        dictionaryFile = Files.write(workDir.resolve(grammar.name() + ".dict"), grammar.dictionary(MODEL.resolve("cmudict-en-us.dict")));
    }

    /** Null when it can run, else what to install. */
    public static String missing() {
        if (!BATCH.installed()) return "apt-get install pocketsphinx pocketsphinx-en-us";
        if (!Files.isDirectory(MODEL.resolve("en-us"))) return "apt-get install pocketsphinx-en-us";
        return null;
    }

    @Override
    public String name() { return "pocketsphinx (grammar)"; }

    @Override
    public List<String> transcribe(List<float[]> clips) throws IOException {
        Path clipDir = Files.createDirectories(workDir.resolve("clips"));
        List<String> control = new ArrayList<>();
        for (int i = 0; i < clips.size(); i++) {
            String id = String.format("clip%06d", i);
            Files.write(clipDir.resolve(id + ".wav"), Audio.wav(clips.get(i)));
            control.add(id);
        }
        Path controlFile = Files.write(workDir.resolve("clips.ctl"), control), hypotheses = workDir.resolve("clips.hyp");
        Tool.run(List.of(BATCH.binary(), "-hmm", MODEL.resolve("en-us").toString(), "-jsgf", grammarFile.toString(),
                "-dict", dictionaryFile.toString(), "-ctl", controlFile.toString(), "-cepdir", clipDir.toString(), "-cepext", ".wav",
                "-adcin", "yes", "-adchdr", "44", "-samprate", Integer.toString(RATE), "-hyp", hypotheses.toString(),
                "-logfn", "/dev/null"), null);
        // one line per clip in control order: "words heard (clip000001 -4021)"
        java.util.Map<String, String> byId = new java.util.HashMap<>();
        for (String line : Files.readAllLines(hypotheses, StandardCharsets.UTF_8)) {
            int open = line.lastIndexOf('(');
            if (open < 0) continue;
            String id = line.substring(open + 1).trim().split("\\s+")[0];
            byId.put(id, Recogniser.normalise(line.substring(0, open)));
        }
        List<String> out = new ArrayList<>();
        for (String id : control) out.add(byId.getOrDefault(id, ""));
        return out;
    }
}
