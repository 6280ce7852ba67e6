package dev.reformer.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.pipeline.ReformerOperator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * At the CLI's default level (warn) an operator still sees model swaps and failed checkpoints with their causes. Here,
 * beside the CLI's logging settings (src/main/resources/simplelogger.properties): the job's own module has no logger.
 */
class OperatorLoggingTest {
    @Test
    void swapsAndFailedCheckpointsAreLoggedAtInfo() {
        assertTrue(LoggerFactory.getLogger(ReformerOperator.class).isInfoEnabled(), "model swaps");
        assertTrue(LoggerFactory.getLogger("org.apache.flink.runtime.checkpoint.CheckpointFailureManager").isInfoEnabled(), "failed checkpoints");
        assertFalse(LoggerFactory.getLogger("org.apache.flink.runtime.checkpoint.CheckpointCoordinator").isInfoEnabled(),
                "not every completed checkpoint");
    }
}
