package dev.reformer.tests;

import java.time.Duration;

/**
 * Waiting on a condition, never on the clock: polls until the condition holds and fails, when the deadline passes,
 * with what it was waiting for, how long, and the last answer or error seen. Deadlines are meant to be generous (a
 * machine with one core busy elsewhere); {@code -Dreformer.tests.timeoutScale=2} doubles every one of them.
 */
final class Await {
    private Await() {}

    /** A probe: its answer, or null (or false) while the condition does not hold yet; an exception counts as not yet. */
    @FunctionalInterface
    interface Probe<T> {
        T get() throws Exception;
    }

    /** How many times longer than stated every deadline is (system property reformer.tests.timeoutScale, default 1). */
    static Duration scaled(Duration timeout) {
        double scale = Double.parseDouble(System.getProperty("reformer.tests.timeoutScale", "1"));
        return Duration.ofMillis((long) (timeout.toMillis() * scale));
    }

    /** Polls probe every 250 ms until it answers non-null and not false, and returns that answer. */
    static <T> T until(String what, Duration timeout, Probe<T> probe) throws Exception {
        return until(what, timeout, probe, () -> null);
    }

    /**
     * As {@link #until(String, Duration, Probe)}; gaveUp, when it returns a reason (a process that died, say), ends the
     * wait at once with that reason instead of waiting for the deadline.
     */
    static <T> T until(String what, Duration timeout, Probe<T> probe, Probe<String> gaveUp) throws Exception {
        Duration limit = scaled(timeout);
        long start = System.nanoTime(), deadline = start + limit.toNanos();
        Object last = null;
        Exception lastError = null;
        while (true) {
            try {
                T answer = probe.get();
                if (answer != null && !Boolean.FALSE.equals(answer)) return answer;
                last = answer;
                lastError = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                lastError = e;
            }
            String reason = gaveUp.get();
            if (reason != null) {
                throw new AssertionError("gave up waiting for " + what + " after " + seconds(System.nanoTime() - start) + ": " + reason, lastError);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds(limit.toNanos()) + " waiting for " + what
                        + (lastError != null ? "; last error: " + lastError : last != null ? "; last answer: " + last : ""), lastError);
            }
            Thread.sleep(250);   // the poll interval, not a wait for something to happen
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.0f s", nanos / 1e9);
    }
}
