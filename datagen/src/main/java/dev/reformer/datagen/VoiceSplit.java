package dev.reformer.datagen;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which speakers are heard in training, validation and test. The unit is the speaker ({@link Voice#speaker()}), so
 * no test voice, and no other voice of a test speaker, is heard in training. Speakers are split within their pool
 * (espeak-ng's variants, the recorded voices of flite and festival, the noise kinds) so each pool reaches every split
 * that it can: about 10% of a pool's speakers to validation and 10% to test, at least one each when it has three or
 * more; with two, one trains and one tests; a single speaker trains. Speakers of {@link #TRAINING_ONLY_POOL} (voices
 * made up for training) all train. Deterministic for a seed and a set of voices.
 */
public final class VoiceSplit {
    /** The pool of espeak-ng variants made up at random: training only, so the held-out voices stay the engines' own. */
    public static final String TRAINING_ONLY_POOL = "espeak-ng-random";

    public enum Split {
        TRAIN("train"), VALIDATION("val"), TEST("test");

        /** The manifest's name: train.jsonl, val.jsonl, test.jsonl. */
        public final String id;

        Split(String id) {
            this.id = id;
        }
    }

    private final Map<String, Split> bySpeaker = new TreeMap<>();
    private final Map<Split, List<Voice>> voices = new TreeMap<>();

    public VoiceSplit(List<Voice> all, long seed) {
        Map<String, TreeSet<String>> pools = new TreeMap<>();
        for (Voice v : all) pools.computeIfAbsent(pool(v.speaker()), p -> new TreeSet<>()).add(v.speaker());
        for (Map.Entry<String, TreeSet<String>> pool : pools.entrySet()) {
            List<String> speakers = new ArrayList<>(pool.getValue());
            shuffle(speakers, Seeds.random(seed, "voice-split", pool.getKey()));
            int n = speakers.size();
            boolean trainingOnly = pool.getKey().equals(TRAINING_ONLY_POOL);
            int test = trainingOnly ? 0 : n >= 3 ? Math.max(1, (int) Math.round(0.1 * n)) : n == 2 ? 1 : 0;
            int validation = trainingOnly ? 0 : n >= 3 ? Math.max(1, (int) Math.round(0.1 * n)) : 0;
            for (int i = 0; i < n; i++) {
                bySpeaker.put(speakers.get(i), i < test ? Split.TEST : i < test + validation ? Split.VALIDATION : Split.TRAIN);
            }
        }
        for (Split s : Split.values()) voices.put(s, new ArrayList<>());
        for (Voice v : all) voices.get(bySpeaker.get(v.speaker())).add(v);
    }

    /** "espeak-ng:Annie" is in pool "espeak-ng", "noise:pink" in "noise"; named speakers (kal, slt) are recordings. */
    private static String pool(String speaker) {
        int colon = speaker.indexOf(':');
        return colon < 0 ? "recorded" : speaker.substring(0, colon);
    }

    /** Fisher-Yates with the seeded stream (Collections.shuffle takes a java.util.Random). */
    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) Collections.swap(list, i, random.nextInt(i + 1));
    }

    public Split of(Voice voice) {
        return bySpeaker.get(voice.speaker());
    }

    /** The voices of one split, in the order they were given. */
    public List<Voice> voices(Split split) {
        return voices.get(split);
    }

    /** The speakers of one split, sorted. */
    public List<String> speakers(Split split) {
        return bySpeaker.entrySet().stream().filter(e -> e.getValue() == split).map(Map.Entry::getKey).toList();
    }
}
