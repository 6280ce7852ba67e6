package dev.reformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.pipeline.JobSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {

    static JobSettings parse(Path config, String... args) throws Exception {
        RunCommand run = new RunCommand();
        CommandLine cli = new CommandLine(run);
        if (config != null) cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(config.toFile()));
        cli.parseArgs(args);
        return run.settings();
    }

    @Test
    void theConfigFileSetsDefaultsAndTheCommandLineWins(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{}");
        Path config = dir.resolve("job.properties");
        Files.writeString(config, "bootstrap-servers=broker:9093\nwindow-frames=200\nhop-frames=100\nstate-backend=rocksdb\n"
                + "audio-model=" + model + "\n");
        Path kafka = dir.resolve("client.properties");
        Files.writeString(kafka, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
        JobSettings s = parse(config, "--hop-frames", "50", "--kafka-properties", kafka.toString(),
                "--kafka-property", "sasl.mechanism=SCRAM-SHA-512", "--checkpoint-dir", "/tmp/ckpt");
        assertEquals("broker:9093", s.bootstrapServers());
        assertEquals(200, s.windowFrames());
        assertEquals(50, s.hopFrames(), "the command line wins over the file");
        assertEquals("rocksdb", s.stateBackend());
        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"), s.kafkaProperties());
        assertEquals(model.toString(), s.audioModel());
        assertEquals("/tmp/ckpt", s.checkpointDir());
        assertEquals("rocksdb", dev.reformer.pipeline.ReformerJob.flinkConfiguration(s).toMap().get("state.backend.type"));
    }

    @Test
    void mistakesAreNamedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        String[] none = FeaturesCommandTest.run("run", "--bootstrap-servers", "127.0.0.1:1");
        assertEquals("2", none[0]);
        assertTrue(none[2].contains("--audio-model"), none[2]);
        String[] notAModel = FeaturesCommandTest.run("run", "--audio-model", dir.toString());
        assertTrue(notAModel[2].contains("not a model directory"), notAModel[2]);
        String[] missingConfig = FeaturesCommandTest.run("run", "--config", dir.resolve("nope.properties").toString(), "--audio-model", dir.toString());
        assertEquals("2", missingConfig[0]);
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{}");
        String[] badWindow = FeaturesCommandTest.run("run", "--audio-model", model.toString(), "--hop-frames", "500");
        assertEquals("2", badWindow[0]);
        assertTrue(badWindow[2].contains("hop"), badWindow[2]);
        String[] noCheckpoints = FeaturesCommandTest.run("run", "--audio-model", model.toString(), "--checkpoint-interval-ms", "0");
        assertEquals("2", noCheckpoints[0]);
        assertTrue(noCheckpoints[2].contains("--checkpoint-interval-ms"), noCheckpoints[2]);
        String[] help = FeaturesCommandTest.run("run", "--help");
        for (String option : new String[]{"--kafka-property", "--state-backend", "--checkpoint-dir", "--cluster", "--batch-deadline-ms"}) {
            assertTrue(help[1].contains(option), option);
        }
    }
}
