package dev.reformer.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Edit distances and error rates on cases worked out by hand. */
class ScoresTest {
    @Test
    void editDistanceCountsSubstitutionsInsertionsAndDeletions() {
        assertEquals(0, Scores.editDistance(List.of("a", "b"), List.of("a", "b")));
        assertEquals(1, Scores.editDistance(List.of("a", "b", "c"), List.of("a", "x", "c")));        // one substitution
        assertEquals(1, Scores.editDistance(List.of("a", "c"), List.of("a", "b", "c")));             // one insertion
        assertEquals(2, Scores.editDistance(List.of("a", "b", "c", "d"), List.of("a", "d")));        // two deletions
        assertEquals(3, Scores.editDistance(List.of(), List.of("a", "b", "c")));
        assertEquals(3, Scores.editDistance(List.of("k", "i", "t", "t", "e", "n"), List.of("s", "i", "t", "t", "i", "n", "g"))); // kitten/sitting
    }

    @Test
    void wordErrorRateIsOverTheWholeSetNotAMeanOfRates() {
        // "four oh seven" -> "four oh eleven seven": 1 insertion of 3 words; "one" -> "": 1 deletion of 1 word
        Scores.ErrorRate wer = Scores.wordErrorRate(List.of("four oh seven", "one"), List.of("four  OH eleven seven", ""));
        assertEquals(2, wer.errors());
        assertEquals(4, wer.referenceUnits());
        assertEquals(0.5, wer.rate(), 1e-12);   // a mean of per-row rates would say (1/3 + 1) / 2
        assertEquals(0.0, Scores.wordErrorRate(List.of(""), List.of("")).rate());
        assertEquals(Double.POSITIVE_INFINITY, Scores.wordErrorRate(List.of(""), List.of("yes")).rate());
        assertThrows(IllegalArgumentException.class, () -> Scores.wordErrorRate(List.of("a"), List.of()));
    }

    @Test
    void characterErrorRateCountsSpacesAndExactMatchNormalisesCase() {
        // "two six" (7 characters) -> "too six": one substitution
        Scores.ErrorRate cer = Scores.characterErrorRate(List.of("two six"), List.of("too six"));
        assertEquals(1, cer.errors());
        assertEquals(7, cer.referenceUnits());
        // "on" -> "onn": one insertion; "up" -> "": two deletions: 3 of 4
        assertEquals(0.75, Scores.characterErrorRate(List.of("on", "up"), List.of("onn", "")).rate(), 1e-12);
        assertEquals(0.5, Scores.exactMatch(List.of("Two  Six", "one"), List.of("two six", "won")), 1e-12);
    }

    @Test
    void confusionRowsAreTruthColumnsPredictions() {
        Scores.Confusion c = new Scores.Confusion(List.of("yes", "no", "unknown"));
        c.add("yes", "yes");
        c.add("yes", "no");
        c.add("no", "no");
        c.add("unknown", "yes");
        assertArrayEquals(new long[]{1, 1, 0}, c.counts()[0]);
        assertArrayEquals(new long[]{1, 0, 0}, c.counts()[2]);
        assertEquals(0.5, c.accuracy(), 1e-12);
        assertEquals(0.5, c.perLabelAccuracy().get("yes"), 1e-12);
        assertEquals(0.0, c.perLabelAccuracy().get("unknown"), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> c.add("maybe", "yes"));
    }

    @Test
    void wordConfusionAlignsWordsSaidWithWordsHeard() {
        // a substitution (oh heard as eleven), an insertion (two), a deletion (six): each alignment is the only minimal one
        Scores.Confusion c = Scores.wordConfusion(List.of("four oh seven", "one", "six five"), List.of("four eleven seven", "one two", "five"));
        assertEquals(List.of("eleven", "five", "four", "oh", "one", "seven", "six", "two", Scores.NONE), c.labels());
        long[][] n = c.counts();
        int eleven = 0, five = 1, four = 2, oh = 3, one = 4, seven = 5, six = 6, two = 7, none = 8;
        assertEquals(1, n[four][four]);
        assertEquals(1, n[oh][eleven]);
        assertEquals(1, n[seven][seven]);
        assertEquals(1, n[one][one]);
        assertEquals(1, n[none][two], "the inserted two");
        assertEquals(1, n[six][none], "the deleted six");
        assertEquals(1, n[five][five]);
        assertEquals(7, c.total(), "six reference words and one insertion");
    }
}
