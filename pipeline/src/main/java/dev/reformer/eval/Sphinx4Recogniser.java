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

    private final StreamSpeechRecognizer recognizer;

    /** Writes the grammar into {@code workDir} and loads the models. */
    public Sphinx4Recogniser(Grammar grammar, Path workDir) throws IOException {
        quiet();
        grammar.writeJsgf(workDir);
        Configuration configuration = new Configuration();
        configuration.setAcousticModelPath(MODELS + "en-us");
        configuration.setDictionaryPath(MODELS + "cmudict-en-us.dict");
        configuration.setGrammarPath(workDir.toUri().toString());
        configuration.setGrammarName(grammar.name());
        configuration.setUseGrammar(true);
        configuration.setSampleRate(RATE);
        recognizer = new StreamSpeechRecognizer(configuration);
        quiet();
    }

    @Override
    public String name() { return "Sphinx4 (grammar)"; }

    @Override
    public List<String> transcribe(List<float[]> clips) {
        List<String> out = new ArrayList<>();
        for (float[] clip : clips) {
            recognizer.startRecognition(new ByteArrayInputStream(Recogniser.pcm16(clip)));
            StringBuilder text = new StringBuilder();
            for (SpeechResult result; (result = recognizer.getResult()) != null; ) text.append(' ').append(result.getHypothesis());
            recognizer.stopRecognition();
            out.add(Recogniser.normalise(text.toString().replace("<unk>", "")));
        }
        return out;
    }

    /** Sphinx4 logs every component's setup at INFO through java.util.logging; only its warnings are wanted. */
    private static void quiet() {
        for (String name : new String[]{"", "default.config", "edu.cmu.sphinx"}) Logger.getLogger(name).setLevel(Level.WARNING);
    }
}
