package dev.reformer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Vosk (Kaldi) with its English model, free (the model's own language model) or restricted to a {@link Grammar}.
 * The model ships in the Maven artifact {@code com.alphacephei:vosk-model-en} (an Android aar); its
 * {@code assets/model-en-us/} folder is unpacked once into {@code ~/.cache/reformer/}.
 */
public final class VoskRecogniser implements Recogniser {
    /** The model artifact's version, as pinned in the parent pom ({@code vosk.version}). */
    public static final String MODEL_VERSION = "0.3.45";
    private static final String ASSETS = "assets/model-en-us/";
    /** A quarter of a second of 16-bit samples at 16 kHz. */
    private static final int CHUNK_BYTES = RATE / 2;

    private final String name;
    private final Model model;
    /** Vosk's phrase list, or null for free recognition. */
    private final String grammar;
    /** The one of the pair that frees the shared model when closed. */
    private final boolean ownsModel;

    private VoskRecogniser(String name, Model model, String grammar, boolean ownsModel) {
        this.name = name;
        this.model = model;
        this.grammar = grammar;
        this.ownsModel = ownsModel;
    }

    /** Recognition with the grammar and free recognition, in this order, sharing one loaded model: the second frees it, so close it last. */
    public static List<Recogniser> freeAndGrammar(Path modelDir, Grammar grammar) throws IOException {
        LibVosk.setLogLevel(LogLevel.WARNINGS);
        Model model = new Model(modelDir.toString());
        return List.of(new VoskRecogniser("Vosk (grammar)", model, grammar.voskJson(), false), new VoskRecogniser("Vosk (free)", model, null, true));
    }

    @Override
    public String name() { return name; }

    /** Made on the first clip and kept: getFinalResult() ends an utterance and readies it for the next clip. */
    private Recognizer recognizer;

    @Override
    public List<String> transcribe(List<float[]> clips) throws IOException {
        if (recognizer == null) recognizer = grammar == null ? new Recognizer(model, RATE) : new Recognizer(model, RATE, grammar);
        List<String> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (float[] clip : clips) {
            byte[] pcm = Recogniser.pcm16(clip);
            StringBuilder text = new StringBuilder();
            for (int at = 0; at < pcm.length; at += CHUNK_BYTES) {   // quarter-second chunks, as a stream would come
                byte[] chunk = java.util.Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + CHUNK_BYTES));
                if (recognizer.acceptWaveForm(chunk, chunk.length)) text.append(' ').append(json.readTree(recognizer.getResult()).path("text").asText());
            }
            text.append(' ').append(json.readTree(recognizer.getFinalResult()).path("text").asText());
            out.add(Recogniser.normalise(text.toString()));
        }
        return out;
    }

    @Override
    public void close() {
        if (recognizer != null) recognizer.close();
        if (ownsModel) model.close();
    }

    /**
     * The unpacked model folder: unpacked from the aar on first use into {@code cache}. The aar is looked for on the
     * class path, then in the local Maven repository ({@code maven.repo.local} or {@code ~/.m2/repository}).
     */
    public static Path modelDir(Path cache) throws IOException {
        Path dir = cache.resolve("vosk-model-en-us-" + MODEL_VERSION);
        if (Files.isRegularFile(dir.resolve("am/final.mdl"))) return dir;
        Path aar = findAar();
        Path partial = Files.createDirectories(cache).resolve(dir.getFileName() + ".partial");
        WorkDir.deleteTree(partial);
        try (ZipFile zip = new ZipFile(aar.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (!entry.getName().startsWith(ASSETS) || entry.isDirectory()) continue;
                Path target = partial.resolve(entry.getName().substring(ASSETS.length())).normalize();
                if (!target.startsWith(partial)) throw new IOException(aar + ": entry " + entry.getName() + " leaves the folder");
                Files.createDirectories(target.getParent());
                try (InputStream in = zip.getInputStream(entry)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (!Files.isRegularFile(partial.resolve("am/final.mdl"))) throw new IOException(aar + " holds no " + ASSETS + "am/final.mdl");
        WorkDir.deleteTree(dir);
        Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private static Path findAar() throws IOException {
        String file = "vosk-model-en-" + MODEL_VERSION + ".aar";
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (entry.endsWith(file) && Files.isRegularFile(Path.of(entry))) return Path.of(entry);
        }
        String local = System.getProperty("maven.repo.local");
        Path repository = local != null ? Path.of(local) : Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path aar = repository.resolve("com/alphacephei/vosk-model-en/" + MODEL_VERSION + "/" + file);
        if (Files.isRegularFile(aar)) return aar;
        throw new IOException("the Vosk model " + file + " is neither on the class path nor at " + aar
                + " (mvn dependency:get -Dartifact=com.alphacephei:vosk-model-en:" + MODEL_VERSION + ":aar fetches it)");
    }
}
