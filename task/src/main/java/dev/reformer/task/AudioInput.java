package dev.reformer.task;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Manifest audio to model input, the one way {@code train} and {@code eval} both use: the WAV or FLAC file through the
 * front-end ({@link StreamingFeatureExtractor#extractAll}), then {@link TaskModel#audioPositions} (standardised,
 * stacked, cut to the model's length).
 */
public final class AudioInput {
    private AudioInput() {}

    /** Front-end frames [T][bands] of one row's audio; a file the decoder refuses is named with its line. */
    public static float[][] frames(Manifest.Row row, FeatureConfig config) throws IOException {
        try {
            return StreamingFeatureExtractor.extractAll(config, PcmDecoder.wav(), AudioFiles.readAsWav(row.audio())).frames();
        } catch (AudioException e) {
            throw new IllegalArgumentException(row.where() + row.audio() + ": " + e.getMessage());
        }
    }

    /** Front-end frames of every row's audio, with a progress line on stderr naming what they are. */
    public static Map<Manifest.Row, float[][]> frames(List<Manifest.Row> rows, FeatureConfig config, String what) throws IOException {
        Map<Manifest.Row, float[][]> out = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            if (i % 50 == 0 || i == rows.size() - 1) System.err.printf("\rfeatures of the %s audio: %d/%d   ", what, i + 1, rows.size());
            out.put(rows.get(i), frames(rows.get(i), config));
        }
        System.err.println();
        return out;
    }

    /** Model positions [P][width] of a row's frames, or an error when the clip is shorter than one position. */
    public static float[][] positions(Manifest.Row row, float[][] frames, TaskModel model) {
        float[][] positions = model.audioPositions(frames);
        if (positions.length == 0) throw new IllegalArgumentException(row.where() + row.audio() + " is shorter than one model position ("
                + model.input().stack() * 10 + " ms after the first 25 ms window)");
        return positions;
    }

    /** A row's audio as 16 kHz mono samples, through the project's decoder and resampler (what the baselines hear). */
    public static float[] mono16k(Manifest.Row row) throws IOException {
        try {
            return AudioFiles.mono16k(Files.readAllBytes(row.audio()));
        } catch (AudioException e) {
            throw new IllegalArgumentException(row.where() + row.audio() + ": " + e.getMessage());
        }
    }
}
