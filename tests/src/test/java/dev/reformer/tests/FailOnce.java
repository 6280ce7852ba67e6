package dev.reformer.tests;

import dev.reformer.pipeline.Window;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.RichMapFunction;

/** Passes windows through, but the first instance to see its n-th window fails the job once (a marker file remembers). */
class FailOnce extends RichMapFunction<Window, Window> {
    private final String marker;
    private final int after;
    private transient int seen;

    FailOnce(Path marker, int after) {
        this.marker = marker.toString();
        this.after = after;
    }

    @Override
    public Window map(Window w) throws Exception {
        if (++seen == after && !Files.exists(Path.of(marker))) {
            Files.createFile(Path.of(marker));
            throw new IllegalStateException("injected failure after " + after + " windows (a test of exactly-once recovery)");
        }
        return w;
    }
}
