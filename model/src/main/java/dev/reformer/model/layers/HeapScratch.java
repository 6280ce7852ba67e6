package dev.reformer.model.layers;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Growable per-thread float32 buffers of the Java kernels, and the bytes they hold in all. The kernels keep their
 * scratch on the Java heap, reused from call to call, so that a pass allocates nothing; the total is what they
 * hold beyond ND4J's arrays, and the bench adds it to the peak memory it reports.
 */
public final class HeapScratch {
    private static final AtomicLong BYTES = new AtomicLong();

    private HeapScratch() {}

    /** Bytes of float scratch held by the kernels' threads, in all. */
    public static long bytesHeld() {
        return BYTES.get();
    }

    /** buffer when it holds n values, else a new one of n (buffer's bytes are then released). */
    static float[] atLeast(float[] buffer, int n) {
        if (buffer.length >= n) return buffer;
        BYTES.addAndGet(4L * (n - buffer.length));
        return new float[n];
    }

    /** The same for int buffers. */
    static int[] atLeast(int[] buffer, int n) {
        if (buffer.length >= n) return buffer;
        BYTES.addAndGet(4L * (n - buffer.length));
        return new int[n];
    }
}
