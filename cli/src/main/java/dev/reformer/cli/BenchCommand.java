package dev.reformer.cli;

import dev.reformer.bench.Benchmarks;
import dev.reformer.bench.PipelineBench;
import dev.reformer.pipeline.JobSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks behind docs/BENCHMARKS.md. Each cell of attention and memory runs in a fresh JVM so that its peak memory is its own; frontend and pipeline run in this JVM.",
                "attention: one attention sublayer (layer norm, attention, output projection), d_model 256, 4 heads x 64,"
                        + " chunk 64, batch 1, float32: LSH attention with each number of hash rounds versus full attention,"
                        + " in the same run. Reports the median time, the peak memory of one run in the steady state (the rise of"
                        + " the resident set's high-water mark over a pre-touched Java heap, plus the scratch block the pass"
                        + " allocates its arrays from, plus the Java kernels' scratch buffers), their ratios to full attention,"
                        + " and GFLOP/s against ND4J's own sgemm measured in the same run."
                        + " Each cell warms up at full size (at least 3 runs and 5 s) before it is measured. Threads: one per core"
                        + " (the Java kernels' own pool), ND4J OMP_NUM_THREADS=1 unless you set it yourself; the sgemm yardstick always uses"
                        + " every core. With --peer, the reference's figures beside ours.",
                "memory: one training step (forward, classification loss, backward, AdamW update; batch 1, float32) of"
                        + " a model with local and LSH layers alternating (d_model 256, 4 heads x 64, chunk 64, 2 hash"
                        + " rounds), with reversible residuals (inputs rebuilt in backward) versus standard residuals"
                        + " (every layer's inputs kept), at each depth: peak memory, its ratio to one layer, step time, tokens/s.",
                "frontend: the audio front-end on one thread, in this JVM: WAV bytes in 100 ms chunks through decoding,"
                        + " resampling to 16 kHz and features (80 log-mel, or 13 MFCC), for 16, 8, 44.1 (stereo) and 48 kHz"
                        + " input; median time and the real-time factor (audio seconds per second of work), with decoding"
                        + " plus resampling alone in the same run. Run under `taskset -c 0` to hold it to one core.",
                "pipeline: the streaming job through a Kafka broker (its own process, or in this JVM: --kafka) and a Flink MiniCluster (parallelism 2) with"
                        + " the models of --audio-model and --text-model (default: untrained ones of the default train size): audio capacity (--streams streams of --seconds s sent at once;"
                        + " aggregate x real time), text capacity (--messages 512-byte messages per second), and p50/p99"
                        + " end-to-end latency with text paced at half the capacity (after " + PipelineBench.LEAD_IN_SECONDS + " s at that pace, unmeasured); micro-batching on and off"
                        + " in the same run."
                        + " Each run first warms up in rounds (10 s of every stream and --messages messages) until the JIT"
                        + " compiler is busy less than 10 %% of the time, at most 6 rounds; about 10 minutes in all with --messages 10000.",
                "model: one forward pass of the model in --model as the job runs it, on this thread: batches of --batch-size"
                        + " inputs (512-byte messages, or 1 s windows of speech-like audio) and of one, in the same run; median"
                        + " CPU time per pass over --passes passes and inputs per CPU second, and per pass the ND4J objects its"
                        + " deallocator tracks and the Java bytes allocated (what young collections copy and collect). Run with"
                        + " OMP_NUM_THREADS=1. Then the model's encoder alone (no front-end, no head) in a fresh JVM on every"
                        + " core: wall time per batch of --batch-size inputs of its full length, with ND4J's sgemm of the same run"
                        + " and, with --peer, the reference's figure for the same shape.",
                "streaming: one stream of --seconds s of speech-like audio in hops of 0.5 s through a transcriber of the digit"
                        + " model's size (hidden 64, 2 heads x 32, local/LSH/local/LSH, 2 hash rounds) with 30 s of context (750"
                        + " positions of 40 ms), untrained, in this JVM on this thread, two ways in the same run: windowed (every hop"
                        + " reads the last 30 s again, the reference's chunked LSH) and cached (a streaming model of the same size"
                        + " reads each hop once against the stream's cache). CPU ms per hop (p50, p99) once the context is full, CPU"
                        + " ms per second of audio and its ratio, and the state each mode keeps per stream. Run with OMP_NUM_THREADS=1.",
                "capacity: a streaming transcriber with 30 s of context (--audio-model, default: an untrained one of the digit model's"
                        + " size) in the job, through a Kafka broker (its own process) and a MiniCluster of parallelism 2 sharing this"
                        + " machine's cores, checkpointing to a local directory with --state-backend every --checkpoint-interval-ms."
                        + " For each count in --streams, that many streams send 100 ms of audio every 100 ms for --seconds s (after"
                        + " 10 s of each sent at once to warm up). Reports visible latency (p50 / p99 ms, from sending the chunk that"
                        + " completes a hop to a reader reading its transcript) on the partials topic (at least once) and on the"
                        + " results topic (read_committed), for hops after the first 30 s and for final results, and whether the"
                        + " count is held in real time (every final came, and the lag did not grow by a second)."},
        footer = {"", "Examples:", "  ./reformer bench attention --lengths 1024,4096 --hashes 1,2 --repeats 3",
                "  ./reformer bench attention --hashes 1,2,8 --peer ../shared/benchmarks/peer-reformer-pytorch.jsonl",
                "  OMP_NUM_THREADS=1 ./reformer bench model --model models/digits --batch-size 16 --peer ../shared/benchmarks/peer-reformer-pytorch.jsonl",
                "  ./reformer bench memory --lengths 4096 --layers 1,6,12 --repeats 3",
                "  taskset -c 0 ./reformer bench frontend --seconds 60 --repeats 7",
                "  OMP_NUM_THREADS=1 ./reformer bench pipeline --streams 16 --seconds 30 --messages 10000 --audio-model models/commands --text-model models/spam",
                "  OMP_NUM_THREADS=1 ./reformer bench model --model models/spam --batch-size 16 --passes 400",
                "  OMP_NUM_THREADS=1 ./reformer bench streaming --seconds 120",
                "  OMP_NUM_THREADS=1 ./reformer bench capacity --streams 4,8,16 --seconds 60 --state-backend rocksdb --checkpoint-interval-ms 1000"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "WHAT", description = "What to measure: attention, memory, frontend, pipeline, model, streaming or capacity.")
    String what;

    @Option(names = "--lengths", split = ",",
            description = "Sequence lengths, multiples of 64 (default: 1024,4096,16384,65536 for attention, 4096,16384 for memory).")
    List<Integer> lengths;

    @Option(names = "--layers", split = ",", defaultValue = "1,6,12",
            description = "memory: model depths (default: ${DEFAULT-VALUE}).")
    List<Integer> layers;

    @Option(names = "--hashes", split = ",", defaultValue = "1,2,4,8",
            description = "attention: hash rounds of LSH attention (default: ${DEFAULT-VALUE}; memory uses 2).")
    List<Integer> hashes;

    @Option(names = "--seconds", defaultValue = "60", description = "frontend, pipeline, streaming, capacity: seconds of audio per input or stream (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--streams", split = ",", defaultValue = "16",
            description = "pipeline: concurrent audio streams; capacity: the stream counts to try, e.g. 4,8,16 (default: ${DEFAULT-VALUE}).")
    List<Integer> streams;

    @Option(names = "--state-backend", defaultValue = "rocksdb", description = "capacity: hashmap or rocksdb (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(names = "--messages", defaultValue = "5000", description = "pipeline: 512-byte text messages (default: ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--batch-size", defaultValue = "16", description = "pipeline: micro-batch size when batching is on; model: inputs per pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--bytes-per-position", defaultValue = "8",
            description = "pipeline: bytes per position of the text model (512 / k positions per 512-byte message; default: ${DEFAULT-VALUE}).")
    int bytesPerPosition;

    @Option(names = "--batch-deadline-ms", defaultValue = "" + JobSettings.DEFAULT_BATCH_DEADLINE_MS, description = "pipeline: longest wait of a window for its micro-batch (default: ${DEFAULT-VALUE}).")
    long batchDeadlineMs;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000",
            description = "pipeline, capacity: checkpoints, and so commits of the results' transactions, this often (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--latencies", paramLabel = "PREFIX",
            description = "pipeline: also write each latency-phase message's seq, latency_ms, queued_ms, inference_ms and the time its result was"
                    + " written (epoch ms) to PREFIX-batched.csv and PREFIX-unbatched.csv.")
    Path latencies;

    @Option(names = "--kafka", defaultValue = "process", paramLabel = "process|jvm",
            description = "pipeline, capacity: run the Kafka broker as its own process, as in production, or inside the bench's JVM (Kafka's test kit, which listens on every interface, not only 127.0.0.1) (default: ${DEFAULT-VALUE}).")
    String kafka;

    @Option(names = "--audio-model", paramLabel = "DIR", description = "pipeline: the audio model to serve, e.g. models/commands (default: an untrained one of the default train size); capacity: a streaming model, e.g. models/digits-streaming.")
    Path audioModel;

    @Option(names = "--text-model", paramLabel = "DIR", description = "pipeline: the text model to serve, e.g. models/spam (default: an untrained one of the default train size, --bytes-per-position).")
    Path textModel;

    @Option(names = "--repeats", defaultValue = "5", description = "Timed runs per cell; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--full-memory-fraction", defaultValue = "0.5",
            description = "attention: run full attention only while its L x L score matrix needs less than this fraction of RAM (default: ${DEFAULT-VALUE}).")
    double fullMemoryFraction;

    @Option(names = "--model", paramLabel = "DIR", description = "model: the model directory to measure, e.g. models/spam.")
    Path model;

    @Option(names = "--passes", defaultValue = "400", description = "model: timed forward passes per batch size; the median is reported (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the table, command and machine to FILE.")
    Path markdown;

    @Option(names = "--peer", paramLabel = "FILE",
            description = "attention, model: print the reference's figures from FILE (JSON lines, e.g. ../shared/benchmarks/peer-reformer-pytorch.jsonl)"
                    + " beside ours: its own times, the same read on this machine through the two ND4J sgemm yardsticks"
                    + " (theirs x their GFLOP/s / ours), and the ratios.")
    Path peer;

    @Override
    public Integer call() throws Exception {
        return Benchmarks.run(new Benchmarks.Options(what, lengths, layers, hashes, seconds, streams, messages, batchSize, bytesPerPosition, batchDeadlineMs, checkpointIntervalMs, stateBackend, latencies, kafka, audioModel, textModel, repeats, fullMemoryFraction, model, passes, markdown, peer));
    }
}
