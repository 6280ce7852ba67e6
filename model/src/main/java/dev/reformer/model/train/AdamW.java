package dev.reformer.model.train;

import dev.reformer.model.Scratch;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), global gradient-norm clipping, and a learning
 * rate that warms up linearly and then decays along a cosine to a tenth. Weight decay applies to matrices
 * (rank 2 and up), not to biases and layer-norm gains.
 */
public final class AdamW {
    /** @param totalSteps steps of the whole run; the cosine ends there */
    public record Settings(double learningRate, double weightDecay, double clipNorm, int warmupSteps, int totalSteps,
                           double beta1, double beta2, double epsilon) {
        public Settings(double learningRate, double weightDecay, double clipNorm, int warmupSteps, int totalSteps) {
            this(learningRate, weightDecay, clipNorm, warmupSteps, totalSteps, 0.9, 0.999, 1e-8);
        }
    }

    private final Settings settings;
    private final Map<String, INDArray> firstMoments = new LinkedHashMap<>(), secondMoments = new LinkedHashMap<>();
    private long step;

    public AdamW(Settings settings) {
        this.settings = settings;
    }

    public long step() { return step; }

    /** The learning rate of a step (1-based): linear warm-up, then cosine decay to a tenth. */
    public double learningRate(long step) {
        double peak = settings.learningRate();
        if (step <= settings.warmupSteps()) return peak * step / Math.max(1, settings.warmupSteps());
        double progress = Math.min(1, (double) (step - settings.warmupSteps())
                / Math.max(1, settings.totalSteps() - settings.warmupSteps()));
        return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /**
     * Updates params in place from grads (same names); returns the gradients' global norm before clipping.
     */
    public double update(Map<String, INDArray> params, Map<String, INDArray> grads) {
        step++;
        double squares = 0;
        for (INDArray g : grads.values()) squares += g.norm2Number().doubleValue() * g.norm2Number().doubleValue();
        double norm = Math.sqrt(squares);
        double clip = settings.clipNorm() > 0 && norm > settings.clipNorm() ? settings.clipNorm() / norm : 1;
        double lr = learningRate(step);
        double correction1 = 1 - Math.pow(settings.beta1(), step), correction2 = 1 - Math.pow(settings.beta2(), step);
        for (var e : params.entrySet()) {
            INDArray p = e.getValue(), g = grads.get(e.getKey()).mul(clip);
            INDArray m = firstMoments.computeIfAbsent(e.getKey(), k -> Scratch.outside(() -> Nd4j.zerosLike(p)));
            INDArray v = secondMoments.computeIfAbsent(e.getKey(), k -> Scratch.outside(() -> Nd4j.zerosLike(p)));
            m.muli(settings.beta1()).addi(g.mul(1 - settings.beta1()));
            v.muli(settings.beta2()).addi(g.mul(g).muli(1 - settings.beta2()));
            INDArray denominator = Transforms.sqrt(v.div(correction2), false).addi(settings.epsilon());
            INDArray update = m.div(correction1).divi(denominator);
            if (p.rank() >= 2 && settings.weightDecay() > 0) update.addi(p.mul(settings.weightDecay()));
            p.subi(update.muli(lr));
        }
        return norm;
    }

    /** The optimizer's state for a checkpoint: moments under "m/NAME" and "v/NAME". */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        firstMoments.forEach((k, t) -> out.put("m/" + k, t));
        secondMoments.forEach((k, t) -> out.put("v/" + k, t));
        return out;
    }

    /** Restores {@link #state()} and the step count of a checkpoint. */
    public void restore(Map<String, INDArray> state, long step) {
        firstMoments.clear();
        secondMoments.clear();
        state.forEach((k, t) -> {
            if (k.startsWith("m/")) firstMoments.put(k.substring(2), t.dup());
            else if (k.startsWith("v/")) secondMoments.put(k.substring(2), t.dup());
        });
        this.step = step;
    }
}
