package dev.reformer.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The entry class of the job in Flink's application mode (docker-compose's standalone-job JobManager, the Kubernetes
 * operator's FlinkDeployment): {@code ./reformer run --application} with the given arguments. It never calls
 * System.exit, which would stop the JobManager it runs in; a bad argument fails the application with the error instead.
 */
public final class ApplicationMain {
    private ApplicationMain() {}

    public static void main(String[] args) {
        List<String> command = new ArrayList<>(List.of("run", "--application"));
        command.addAll(List.of(args));
        int code = Main.run(command.toArray(String[]::new));
        if (code != 0) throw new IllegalArgumentException("reformer run " + String.join(" ", args) + " failed (exit code " + code + "; the error is above)");
    }
}
