package dev.reformer.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A recogniser's text as a command label, and the grammars the recognisers get. */
class CommandLabelsTest {
    private static final Set<String> COMMANDS = Set.of("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go");

    @Test
    void oneCommandWordIsThatCommandNothingIsSilenceAnythingElseUnknown() {
        assertEquals("yes", CommandLabels.labelOf("yes", COMMANDS));
        assertEquals("stop", CommandLabels.labelOf("  STOP \n", COMMANDS));
        assertEquals("silence", CommandLabels.labelOf("", COMMANDS));
        assertEquals("silence", CommandLabels.labelOf("   ", COMMANDS));
        assertEquals("unknown", CommandLabels.labelOf("marvin", COMMANDS));
        assertEquals("unknown", CommandLabels.labelOf("[unk]", COMMANDS));
        assertEquals("unknown", CommandLabels.labelOf("go go", COMMANDS));
        assertEquals("unknown", CommandLabels.labelOf("yes no", COMMANDS));
        assertEquals("unknown", CommandLabels.labelOf("turn left", COMMANDS));
    }

    @Test
    void grammarsInEachRecognisersFormat() throws Exception {
        Grammar commands = new Grammar("commands", List.of("yes", "no", "Cat", "yes"), false);
        assertEquals(List.of("yes", "no", "cat"), commands.words());
        assertEquals("[\"yes\",\"no\",\"cat\",\"[unk]\"]", commands.voskJson());
        assertTrue(commands.jsgf().contains("public <commands> = ( yes | no | cat ) ;"), commands.jsgf());
        Grammar digits = new Grammar("digits", Grammar.DIGIT_WORDS, true);
        assertTrue(digits.jsgf().contains("( zero | oh | one | two | three | four | five | six | seven | eight | nine )+ ;"), digits.jsgf());
        assertThrows(IllegalArgumentException.class, () -> new Grammar("g", List.of("two words"), false));
        java.nio.file.Path dict = java.nio.file.Path.of("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
        if (java.nio.file.Files.isRegularFile(dict)) {
            List<String> lines = digits.dictionary(dict);
            assertTrue(lines.contains("oh OW"), lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("zero(2) ")), lines.toString());
            assertThrows(java.io.IOException.class, () -> new Grammar("g", List.of("qqqzzz"), false).dictionary(dict));
        }
    }
}
