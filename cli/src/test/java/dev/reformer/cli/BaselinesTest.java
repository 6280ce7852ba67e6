package dev.reformer.cli;

import dev.reformer.task.AudioInput;

import dev.reformer.task.Manifest;
import dev.reformer.eval.FastText;
import dev.reformer.eval.Grammar;
import dev.reformer.eval.PocketSphinxRecogniser;
import dev.reformer.eval.Recogniser;
import dev.reformer.eval.Scores;
import dev.reformer.eval.Sphinx4Recogniser;
import dev.reformer.eval.VoskRecogniser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real baselines on tiny sets: fastText trained and tuned on a text set, and Vosk, Sphinx4 and pocketsphinx on
 * four clips of datagen's digits set. Skipped only where a tool is not installed (CI installs them all).
 */
class BaselinesTest {
    @TempDir
    static Path data;
    static List<Manifest.Row> digits;
    static List<float[]> clips;

    @BeforeAll
    static void digitClips() throws Exception {
        assumeTrue(dev.reformer.datagen.Tool.ESPEAK_NG.installed() && dev.reformer.datagen.Tool.SOX.installed(), "datagen needs espeak-ng and sox");
        assertEquals(0, Main.run("datagen", "--size", "small", "--sets", "digits", "--engines", "espeak-ng", "--out", data.toString()));
        digits = Manifest.read(data.resolve("digits/train.jsonl")).subList(0, 4);
        clips = new ArrayList<>();
        for (Manifest.Row r : digits) clips.add(AudioInput.mono16k(r));
    }

    @Test
    void fastTextTrainsTunesAndClassifies(@TempDir Path dir) throws Exception {
        assumeTrue(FastText.FASTTEXT.installed(), "fastText is not installed: apt-get install fasttext");
        List<Manifest.Row> train = Manifest.read(TrainCommandTest.manifest(dir, "train.jsonl", 1, 64));
        List<Manifest.Row> validation = Manifest.read(TrainCommandTest.manifest(dir, "val.jsonl", 2, 16));
        List<Manifest.Row> test = Manifest.read(TrainCommandTest.manifest(dir, "test.jsonl", 3, 16));
        FastText.Result r = FastText.run(train, validation, test, dir.resolve("work"));
        assertEquals(FastText.SETTINGS.size(), r.validationAccuracy().size());
        assertEquals(test.size(), r.predictions().size());
        assertTrue(r.predictions().stream().allMatch(p -> p.equals("fruit") || p.equals("none")), r.predictions().toString());
        double accuracy = FastText.accuracy(test, r.predictions());
        assertTrue(accuracy >= 0.75, "\"apple\" decides the label; accuracy " + accuracy);   // one word tells: an easy set
        assertTrue(r.predictionsPerSecond() > 0);
    }

    @Test
    void voskWithAndWithoutGrammar() throws Exception {
        List<Recogniser> vosk = VoskRecogniser.freeAndGrammar(VoskRecogniser.modelDir(Path.of("target", "vosk-cache")),
                new Grammar("digits", Grammar.DIGIT_WORDS, true));
        for (Recogniser r : vosk) checkTranscribes(r);
        vosk.forEach(Recogniser::close);
    }

    @Test
    void sphinx4WithAGrammar(@TempDir Path work) throws Exception {
        try (Recogniser r = new Sphinx4Recogniser(new Grammar("digits", Grammar.DIGIT_WORDS, true), work)) {
            checkTranscribes(r);
        }
    }

    @Test
    void pocketsphinxWithAGrammar(@TempDir Path work) throws Exception {
        assumeTrue(PocketSphinxRecogniser.missing() == null, "pocketsphinx: " + PocketSphinxRecogniser.missing());
        try (Recogniser r = new PocketSphinxRecogniser(new Grammar("digits", Grammar.DIGIT_WORDS, true), work)) {
            checkTranscribes(r);
        }
    }

    /** A transcript per clip, of digit words only for a grammar, and a word error rate that is a rate, not garbage. */
    private static void checkTranscribes(Recogniser r) throws Exception {
        List<String> heard = r.transcribe(clips);
        assertEquals(clips.size(), heard.size(), r.name());
        List<String> truth = digits.stream().map(Manifest.Row::text).toList();
        double wer = Scores.wordErrorRate(truth, heard).rate();
        System.err.printf("%s: WER %.3f%n  heard %s%n  truth %s%n", r.name(), wer, heard, truth);
        assertTrue(heard.stream().anyMatch(h -> !h.isEmpty()), r.name() + " heard nothing in " + clips.size() + " clips of speech");
        if (!r.name().contains("free")) {
            for (String h : heard) for (String w : Scores.words(h)) assertTrue(Grammar.DIGIT_WORDS.contains(w) || w.equals("[unk]"), r.name() + ": \"" + w + "\" is outside the grammar");
        }
        assertTrue(wer >= 0 && wer <= 1.5, r.name() + " WER " + wer);   // clear synthetic speech: mostly right; insertions may pass 1 a little
    }
}
