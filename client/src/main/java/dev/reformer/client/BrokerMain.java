package dev.reformer.client;

/**
 * The main of a broker started by {@link LocalKafka}: Kafka's own, plus a watch on the process that started it. That
 * process's shutdown hook stops the broker on Ctrl-C, but not when it is killed (kill -9) or crashes; the broker
 * would then run on, holding its port and its directory. Here it stops itself, through Kafka's own shutdown, as soon
 * as its parent is gone.
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("the process that started this broker (pid " + parent.pid() + ") is gone; stopping the broker");
            System.exit(0);
        }));
        // by name: Kafka's main is a Scala object, and this module needs it only at run time
        Class.forName("kafka.Kafka").getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
