package dev.reformer.bench;

import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.model.train.Example;
import dev.reformer.task.TaskModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One model's forward pass as the job runs it (TaskModel.classify or transcribe, float32, on this thread), on
 * batches of the job's inputs: 512-byte text messages, or 1 s windows (100 frames) of speech-like audio. The
 * median CPU time of this thread per pass (steadier than wall time on a shared machine), inputs per CPU second,
 * and the same for batches of one, in the same run. Also what each pass leaves the garbage collector: the ND4J
 * objects its deallocator tracks (each young collection copies those made since the previous one) and the Java
 * bytes it allocates (counts, not times).
 */
public final class ModelBench {
    private ModelBench() {}

    public static String run(Path dir, int batch, int passes) throws Exception {
        TaskModel model = TaskModel.load(dir, DataType.FLOAT);
        List<Example> inputs = inputs(model, batch);
        StringBuilder table = new StringBuilder("| model | batch | CPU ms per pass (median) | inputs per CPU second | vs batch 1"
                + " | ND4J objects tracked per pass | Java KB allocated per pass |\n|---|---:|---:|---:|---:|---:|---:|\n");
        double perInputAtOne = 0;
        for (int size : batch == 1 ? new int[]{1} : new int[]{1, batch}) {
            System.err.printf(Locale.ROOT, "  %s, batches of %d: %d passes after %d of warm-up ...%n", dir.getFileName(), size, passes, passes / 2);
            Cost cost = measure(model, inputs.subList(0, size), passes);
            double perSecond = size * 1000 / cost.medianCpuMs;
            if (size == 1) perInputAtOne = perSecond;
            table.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.0f | %.2fx | %.0f | %.0f |%n", dir.getFileName(), size, cost.medianCpuMs,
                    perSecond, perSecond / perInputAtOne, cost.trackedPerPass, cost.allocatedKbPerPass));
        }
        return table.toString();
    }

    private record Cost(double medianCpuMs, double trackedPerPass, double allocatedKbPerPass) {}

    private static Cost measure(TaskModel model, List<Example> batch, int passes) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        boolean transcriber = model.task() == TaskModel.Task.TRANSCRIPTION;
        double[] ms = new double[passes];
        long trackedBefore = 0, allocatedBefore = 0;
        for (int i = -passes / 2; i < passes; i++) {
            if (i == 0) {
                trackedBefore = Nd4j.getDeallocatorService().nextValue();   // each tracked object takes the next id
                allocatedBefore = threads.getThreadAllocatedBytes(thread);
            }
            long start = threads.getCurrentThreadCpuTime();
            // on this thread only, as the job's operator runs it (KernelThreads would hand the work to its pool)
            dev.reformer.model.layers.KernelThreads.callingThreadOnly(() -> transcriber ? model.transcribe(batch) : model.classify(batch));
            if (i >= 0) ms[i] = (threads.getCurrentThreadCpuTime() - start) / 1e6;
        }
        long tracked = Nd4j.getDeallocatorService().nextValue() - trackedBefore - 1;   // less the id this call took
        long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
        Arrays.sort(ms);
        return new Cost(ms[passes / 2], tracked / (double) passes, allocated / 1024.0 / passes);
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
