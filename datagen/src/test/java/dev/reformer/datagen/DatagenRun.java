package dev.reformer.datagen;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The tests' way to run {@link Datagen}: the sets of counts, with these engines, the other options as datagen's defaults. */
final class DatagenRun {
    private DatagenRun() {}

    /** Builds every set counts names; returns 0, as the command would, so that tests read as the command's runs. */
    static int datagen(Path out, long seed, int threads, List<String> engines, int randomVoices, Path cache, Map<String, Integer> counts)
            throws Exception {
        Datagen.run(new Datagen.Options(out, new ArrayList<>(counts.keySet()), Path.of("../shared/data/real-speech"), seed, "full",
                counts, engines, randomVoices, threads, cache, false));
        return 0;
    }
}
