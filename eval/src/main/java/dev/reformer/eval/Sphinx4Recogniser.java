package dev.reformer.eval;

import edu.cmu.sphinx.api.Configuration;
import edu.cmu.sphinx.api.SpeechResult;
import edu.cmu.sphinx.api.StreamSpeechRecognizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * CMU Sphinx4 (pure Java) with the US English acoustic model and dictionary of {@code sphinx4-data}, restricted to
 * a JSGF {@link Grammar}.
 */
public final class Sphinx4Recogniser implements Recogniser {
    private static final String MODELS = "resource:/edu/cmu/sphinx/models/en-us/";
    /** More than any clip holds; a bound in case the recogniser stops consuming its stream. */
    private static final int MAX_UTTERANCES = 1000;
    /**
     * The parent of Sphinx4's component loggers (named after its default configuration), held here: java.util.logging
     * keeps loggers weakly, and a collected one forgets its level.
     */
    private static final Logger LOGGERS = Logger.getLogger("default.config");

    private final StreamSpeechRecognizer recognizer;

    /** Writes the grammar into {@code workDir} and loads the models. */
    public Sphinx4Recogniser(Grammar grammar, Path workDir) throws IOException {
        grammar.writeJsgf(workDir);
        Configuration configuration = new Configuration();
        configuration.setAcousticModelPath(MODELS + "en-us");
        configuration.setDictionaryPath(MODELS + "cmudict-en-us.dict");
        configuration.setGrammarPath(workDir.toUri().toString());
        configuration.setGrammarName(grammar.name());
        configuration.setUseGrammar(true);
        configuration.setSampleRate(RATE);
        recognizer = quietly(() -> new StreamSpeechRecognizer(configuration));
    }

    @Override
    public String name() { return "Sphinx4 (grammar)"; }

    @Override
    public List<String> transcribe(List<float[]> clips) {
        List<String> out = new ArrayList<>();
        for (float[] clip : clips) {
            ByteArrayInputStream stream = new ByteArrayInputStream(Recogniser.pcm16(clip));
            recognizer.startRecognition(stream);
            StringBuilder text = new StringBuilder();
            // one result per utterance; an utterance whose search ends outside the grammar gives null before the end
            // of the stream, and what is left unread would spoil the next clip: read on until the stream is empty
            for (int utterances = 0; utterances < MAX_UTTERANCES; utterances++) {
                SpeechResult result = recognizer.getResult();
                if (result != null) text.append(' ').append(result.getHypothesis());
                else if (stream.available() == 0) break;
            }
            recognizer.stopRecognition();
            out.add(Recogniser.normalise(text.toString().replace("<unk>", "")));
        }
        return out;
    }

    private interface Construction<T> {
        T get() throws IOException;
    }

    /**
     * Sphinx4 sets its loggers to its config's level (INFO: every phone of the model) unless a java.util.logging
     * configuration is named; naming one for the time of construction (LogManager read its own long before) leaves
     * them to inherit from the logger below, set to warnings.
     */
    private static <T> T quietly(Construction<T> construction) throws IOException {
        LOGGERS.setLevel(Level.WARNING);
        String key = "java.util.logging.config.file", before = System.getProperty(key);
        if (before == null) System.setProperty(key, "");
        try {
            return construction.get();
        } finally {
            if (before == null) System.clearProperty(key);
        }
    }
}
