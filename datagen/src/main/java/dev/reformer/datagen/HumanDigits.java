package dev.reformer.datagen;

import dev.reformer.task.Manifest;

import java.io.IOException;
import dev.reformer.audio.AudioException;
import dev.reformer.audio.PcmDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real human speech for the digit transcriber: the digit-string recordings of Debian's pocketsphinx-testdata that are
 * audio (16 kHz s16le raw) and whose transcript is known from their TIDIGITS file name ("2934z": two nine three four
 * zero). The package's other TIDIGITS items are cepstra, not audio, so this set is small: it says how the synthetic
 * training carries over to a human voice, not a rate to quote to a decimal.
 */
public final class HumanDigits {
    public static final String PACKAGE = "pocketsphinx-testdata";
    static final Path FOLDER = Path.of("/usr/share/pocketsphinx/test/data/tidigits");
    /** TIDIGITS spells digits by letter: z zero, o oh. */

    private HumanDigits() {}

    public static boolean installed() {
        return Files.isDirectory(FOLDER);
    }

    /** "2934z" -> "two nine three four zero"; the recording's speaker and index letters are not part of the name's digits. */
    static String transcript(String digits) {
        List<String> words = new ArrayList<>();
        for (char c : digits.toCharArray()) {
            if (c == 'z') words.add("zero");
            else if (c == 'o') words.add("oh");
            else if (Character.isDigit(c)) words.add(SpeechSets.DIGIT_WORDS.get(c - '0'));
            else throw new IllegalArgumentException("'" + c + "' is not a TIDIGITS digit (0-9, z, o) in " + digits);
        }
        return String.join(" ", words);
    }

    /** Writes OUT/wav/*.wav and OUT/test.jsonl; returns the number of recordings. */
    public static int write(Path out) throws IOException {
        if (!installed()) throw new IllegalArgumentException(FOLDER + " is missing; " + Tool.aptInstallLine(List.of(PACKAGE)));
        List<com.fasterxml.jackson.databind.node.ObjectNode> lines = new ArrayList<>();
        List<Path> raws;
        try (var files = Files.list(FOLDER)) {
            raws = files.filter(p -> p.getFileName().toString().endsWith(".raw")).sorted().toList();
        }
        Files.createDirectories(out.resolve("wav"));
        for (Path raw : raws) {
            String name = raw.getFileName().toString().replace(".raw", "");   // speaker.digits, e.g. dhd.2934z
            String[] parts = name.split("\\.");
            String clip = "wav/" + name + ".wav";
            Files.write(out.resolve(clip), Audio.wav(s16le(Files.readAllBytes(raw))));
            lines.add(Manifest.line(clip, transcript(parts[parts.length - 1]), null, "human", "tidigits-" + parts[0]));
        }
        Manifest.write(out.resolve("test.jsonl"), lines);
        return lines.size();
    }

    /** 16 kHz mono 16-bit little-endian PCM, as the package stores its raw files, to samples. */
    private static float[] s16le(byte[] raw) throws IOException {
        try {
            PcmDecoder decoder = PcmDecoder.raw(PcmDecoder.Encoding.parse("s16le"), Audio.RATE, 1);
            return decoder.push(raw, 0, raw.length);
        } catch (AudioException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
