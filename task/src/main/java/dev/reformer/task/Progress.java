package dev.reformer.task;

import java.util.Locale;

/** One line on stderr, redrawn at most every half second: what, count / total, rate, ETA. */
public final class Progress {
    private final String what;
    private final int total;
    private final long started = System.nanoTime();
    private long lastDrawn;
    private int done;

    public Progress(String what, int total) {
        this.what = what;
        this.total = total;
    }

    public synchronized void step() {
        done++;
        long now = System.nanoTime();
        if (done < total && now - lastDrawn < 500_000_000L) return;
        lastDrawn = now;
        double elapsed = (now - started) / 1e9, perSecond = done / Math.max(elapsed, 1e-9);
        long eta = Math.round((total - done) / Math.max(perSecond, 1e-9));
        System.err.printf(Locale.ROOT, "\r%s: %d/%d  %.1f/s  ETA %dm%02ds   ", what, done, total, perSecond, eta / 60, eta % 60);
        if (done == total) System.err.printf(Locale.ROOT, "%n");
    }
}
