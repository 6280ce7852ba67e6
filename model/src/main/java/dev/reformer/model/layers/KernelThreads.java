package dev.reformer.model.layers;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Whether the kernels split their loops over their own fork-join pool. They do by default: one long
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

    /**
     * The kernels' own pool, one thread per core. Not the common pool: Java 17 clears a common-pool worker's
     * thread-locals after each task, and the kernels keep their scratch buffers in thread-locals, so on the common
     * pool every pass allocated them afresh (1.7 MB of garbage per LSH forward at 1K).
     */
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors(), pool -> {
        ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        thread.setName("reformer-kernel-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }, null, false);

    /** body(0 .. n-1), in parallel on the kernels' pool unless the calling thread asked for its own thread only. */
    static void forEach(int n, IntConsumer body) {
        if (CALLING_THREAD_ONLY.get() || n == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
        } else if (ForkJoinTask.getPool() == POOL) {
            IntStream.range(0, n).parallel().forEach(body);   // already on a kernel thread: fork into the same pool
        } else {
            POOL.submit(() -> IntStream.range(0, n).parallel().forEach(body)).join();
        }
    }
}
