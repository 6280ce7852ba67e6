package dev.reformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** datagen's usage errors: exit code 2 and a line that says what is accepted (the sets themselves: datagen's tests). */
class DatagenCommandTest {
    @TempDir
    static Path dir;

    @Test
    void userErrorsSayWhatIsAccepted() {
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--sets", "commands,sings"));
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--size", "huge"));
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--engines", "say"));
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--count", "commands=0"));
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--sets", "commands", "--random-voices", "-1"));
        assertEquals(2, Main.run("datagen", "--out", dir.resolve("x").toString(), "--sets", "commands", "--engines", "flite", "--random-voices", "2"));
    }
}
