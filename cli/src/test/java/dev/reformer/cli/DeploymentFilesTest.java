package dev.reformer.cli;

import dev.reformer.pipeline.ApplicationMain;
import dev.reformer.pipeline.options.JobOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docker-compose.yml and deploy/k8s/: the entry class they name exists, the arguments they give are ones `run` accepts,
 * and the ND4J settings of docs/DEPLOYMENT.md are there. With Debian's docker-compose installed (CI installs it),
 * `docker-compose config -q` must accept the compose file.
 */
class DeploymentFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The job's arguments parse as the application entry's (and `run`'s) options, and name the shipped models' folders. */
    private static void runAccepts(List<String> args) {
        JobOptions job = new JobOptions();
        new CommandLine(job).parseArgs(args.toArray(String[]::new));
        for (String model : new String[] {job.audioModel, job.textModel}) {
            assertTrue(model.startsWith("/opt/reformer/models/"), model);
            assertTrue(Files.isRegularFile(ROOT.resolve("models").resolve(Path.of(model).getFileName()).resolve("model.safetensors")), model);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void composeRunsTheJobInApplicationModeWithNd4jParentFirst() throws Exception {
        JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        JsonNode services = compose.get("services");
        for (String s : List.of("kafka", "jobmanager", "taskmanager", "producer", "consumer")) assertTrue(services.has(s), s);
        List<String> command = strings(services.get("jobmanager").get("command"));
        assertEquals(List.of("standalone-job", "--job-classname", ApplicationMain.class.getName()), command.subList(0, 3));
        runAccepts(command.subList(3, command.size()));
        String flinkProperties = compose.get("x-flink").get("environment").get("FLINK_PROPERTIES").asText();
        assertTrue(flinkProperties.contains("classloader.parent-first-patterns.additional: org.nd4j.;org.bytedeco."), flinkProperties);
        assertTrue(flinkProperties.contains("taskmanager.memory.task.off-heap.size"), flinkProperties);
        assertTrue(flinkProperties.contains("--add-modules=jdk.incubator.vector"), flinkProperties);
        assertEquals("1", compose.get("x-flink").get("environment").get("OMP_NUM_THREADS").asText());
        assertTrue(compose.get("x-flink").get("image").asText().startsWith("flink:2.2-java17"));
    }

    @Test
    void theFlinkDeploymentNamesTheEntryClassAndTheNd4jSettings() throws Exception {
        JsonNode spec = YAML.readTree(ROOT.resolve("deploy/k8s/flinkdeployment.yaml").toFile()).get("spec");
        assertEquals("v2_2", spec.get("flinkVersion").asText());
        assertEquals(ApplicationMain.class.getName(), spec.get("job").get("entryClass").asText());
        assertEquals("savepoint", spec.get("job").get("upgradeMode").asText());
        runAccepts(strings(spec.get("job").get("args")));
        JsonNode conf = spec.get("flinkConfiguration");
        assertEquals("org.nd4j.;org.bytedeco.", conf.get("classloader.parent-first-patterns.additional").asText());
        assertTrue(conf.has("taskmanager.memory.task.off-heap.size"));
        String omp = spec.get("podTemplate").get("spec").get("containers").get(0).get("env").toString();
        assertTrue(omp.contains("OMP_NUM_THREADS"), omp);
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        boolean installed = Files.isExecutable(Path.of("/usr/bin/docker-compose"));
        assumeTrue(installed, "docker-compose is not installed (apt-get install docker-compose); CI installs it");
        Process p = new ProcessBuilder("docker-compose", "config", "-q").directory(ROOT.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), out);
    }
}
