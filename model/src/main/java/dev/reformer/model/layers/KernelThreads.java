package dev.reformer.model.layers;

import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Whether the attention kernels split their loops over the common fork-join pool. They do by default: one long
 * sequence gets every core. A caller that is itself one of several parallel workers (a Flink operator instance,
 * one per slot and core) runs them on its own thread instead, so that instances do not queue behind each other's
 * tasks in the one shared pool.
 */
public final class KernelThreads {
    private static final ThreadLocal<Boolean> CALLING_THREAD_ONLY = ThreadLocal.withInitial(() -> false);

    private KernelThreads() {}

    /** Runs work with every kernel loop it starts on the calling thread. */
    public static <T> T callingThreadOnly(Supplier<T> work) {
        boolean before = CALLING_THREAD_ONLY.get();
        CALLING_THREAD_ONLY.set(true);
        try {
            return work.get();
        } finally {
            CALLING_THREAD_ONLY.set(before);
        }
    }

    /** 0 .. n-1, in parallel unless the calling thread asked for its own thread only. */
    static IntStream range(int n) {
        IntStream range = IntStream.range(0, n);
        return CALLING_THREAD_ONLY.get() ? range : range.parallel();
    }
}
