package dev.reformer.cli;

import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.model.train.Example;
import dev.reformer.task.TaskModel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One model's forward pass as the job runs it (TaskModel.classify or transcribe, float32, on this thread), on
 * batches of the job's inputs: 512-byte text messages, or 1 s windows (100 frames) of speech-like audio. The
 * median CPU time of this thread per pass (steadier than wall time on a shared machine), inputs per CPU second,
 * and the same for batches of one, in the same run.
 */
final class ModelBench {
    private ModelBench() {}

    static String run(Path dir, int batch, int passes) throws Exception {
        TaskModel model = TaskModel.load(dir, DataType.FLOAT);
        List<Example> inputs = inputs(model, batch);
        StringBuilder table = new StringBuilder("| model | batch | CPU ms per pass (median) | inputs per CPU second | vs batch 1 |\n|---|---:|---:|---:|---:|\n");
        double perInputAtOne = 0;
        for (int size : batch == 1 ? new int[]{1} : new int[]{1, batch}) {
            System.err.printf(Locale.ROOT, "  %s, batches of %d: %d passes after %d of warm-up ...%n", dir.getFileName(), size, passes, passes / 2);
            double ms = medianCpuMs(model, inputs.subList(0, size), passes);
            double perSecond = size * 1000 / ms;
            if (size == 1) perInputAtOne = perSecond;
            table.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.0f | %.2fx |%n", dir.getFileName(), size, ms, perSecond, perSecond / perInputAtOne));
        }
        return table.toString();
    }

    private static double medianCpuMs(TaskModel model, List<Example> batch, int passes) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean transcriber = model.task() == TaskModel.Task.TRANSCRIPTION;
        double[] ms = new double[passes];
        for (int i = -passes / 2; i < passes; i++) {
            long start = threads.getCurrentThreadCpuTime();
            if (transcriber) model.transcribe(batch);
            else model.classify(batch);
            if (i >= 0) ms[i] = (threads.getCurrentThreadCpuTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[passes / 2];
    }

    /** batch inputs of the kind the model reads, all different. */
    private static List<Example> inputs(TaskModel model, int batch) throws Exception {
        List<Example> out = new ArrayList<>();
        if (!model.input().audio()) {
            String base = "the quick brown fox jumps over the lazy dog; ".repeat(12);
            for (int i = 0; i < batch; i++) out.add(Example.tokens(model.encodeText((i + " " + base).substring(0, 512)), 0));
            return out;
        }
        float[][] frames = StreamingFeatureExtractor.extractAll(model.input().features(), PcmDecoder.wav(),
                FrontendBench.speechLikeWav(16000, 1, batch)).frames();
        for (int i = 0; i < batch; i++) {
            float[][] positions = model.audioPositions(frames, i * 100, Math.min(frames.length, i * 100 + 100));
            out.add(model.task() == TaskModel.Task.TRANSCRIPTION ? Example.transcript(positions, new int[]{1}) : Example.features(positions, 0));
        }
        return out;
    }
}
