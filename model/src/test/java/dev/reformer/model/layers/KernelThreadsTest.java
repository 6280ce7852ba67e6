package dev.reformer.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class KernelThreadsTest {
    private static Set<String> threadsOfRange() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        KernelThreads.forEach(10_000, i -> {
            names.add(Thread.currentThread().getName());
            for (long spin = System.nanoTime(); System.nanoTime() - spin < 2_000; ) { /* long enough to be split */ }
        });
        return names;
    }

    @Test
    void callingThreadOnlyKeepsEveryLoopOnTheCallerAndRestoresTheDefault() {
        String caller = Thread.currentThread().getName();
        Set<String> inside = KernelThreads.callingThreadOnly(KernelThreadsTest::threadsOfRange);
        assertEquals(Set.of(caller), inside);
        if (Runtime.getRuntime().availableProcessors() > 1) {
            Set<String> after = threadsOfRange();
            assertTrue(after.size() > 1, "after the call, loops are split over the pool again: " + after);
        }
    }
}
