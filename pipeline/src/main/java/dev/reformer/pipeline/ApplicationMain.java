package dev.reformer.pipeline;

import dev.reformer.pipeline.options.JobOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;

/**
 * The entry class of the job in Flink's application mode (docker-compose's standalone-job JobManager, the Kubernetes
 * operator's FlinkDeployment): the arguments of {@code ./reformer run} ({@link JobOptions}), the environment the
 * cluster gives. It never calls System.exit, which would stop the JobManager it runs in: a bad argument fails the
 * application with the error instead.
 */
public final class ApplicationMain {
    private ApplicationMain() {}

    public static void main(String[] args) throws Exception {
        JobOptions options = new JobOptions();
        CommandLine command = new CommandLine(options);
        JobOptions.readConfigFile(command, args);
        command.parseArgs(args);
        JobSettings settings = options.settings();
        Configuration flink = ReformerJob.flinkConfiguration(settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        ReformerJob.build(env, settings);
        env.execute("reformer");
    }
}
