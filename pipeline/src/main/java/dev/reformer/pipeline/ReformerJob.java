package dev.reformer.pipeline;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The streaming job: Kafka audio and text in → validation (dead letters) → keyBy(stream id) → feature frames
 * and windows per stream → the Reformer, micro-batched → results and dead letters out, exactly once.
 */
public final class ReformerJob {

    /** 0: each record leaves its network buffer at once (Flink's timer flush is the alternative, see build). */
    static final long BUFFER_TIMEOUT_MS = 0;
    /** What the sources' fetches wait for, unless Kafka properties say otherwise: this many bytes, or this long. */
    static final int SOURCE_FETCH_MIN_BYTES = 16 * 1024, SOURCE_FETCH_MAX_WAIT_MS = 20;

    private ReformerJob() {}

    /** Adds the job to env; execute it with env.execute(...) or executeAsync(...). */
    public static void build(StreamExecutionEnvironment env, JobSettings s) throws java.io.IOException {
        build(env, s, windows -> windows);
    }

    /** The same, with windowsTap between the windows and the Reformer (tests put a failing operator there). */
    public static void build(StreamExecutionEnvironment env, JobSettings settings,
                             java.util.function.UnaryOperator<DataStream<Window>> windowsTap) throws java.io.IOException {
        env.enableCheckpointing(settings.checkpointIntervalMs());
        env.configure(flinkConfiguration(settings));
        // a record crosses two shuffles before the Reformer; Flink's default sends a part-filled network buffer after
        // 100 ms, which at a few hundred records/s put 200 ms into every result's latency. A timer of 5 ms still cost a
        // few ms per hop, and its flusher threads (one per output of each task, waking every 5 ms) a tenth of a core;
        // at this job's rates (at most a few thousand records/s between operators) a flush per record costs less
        env.setBufferTimeout(BUFFER_TIMEOUT_MS);
        TaskModel audioModel = settings.audioModel() != null ? TaskModel.load(Path.of(settings.audioModel()), DataType.FLOAT) : null;
        FeatureConfig features = audioModel != null ? audioModel.input().features() : FeatureConfig.logMel();
        // a transcript is final where speech ends; a classifier's windows keep their grid (a model swapped in later
        // keeps the windowing the job started with)
        boolean utterances = audioModel != null && audioModel.task() == TaskModel.Task.TRANSCRIPTION;
        // a streaming model reads each hop once, against the stream's cache of its past: windows are the hops
        boolean streaming = audioModel != null && audioModel.config().isStreaming();
        JobSettings s = streaming ? settings.withWindow(settings.hopFrames(), settings.hopFrames()) : settings;
        if (streaming && s.checkpointDir() == null) {
            throw new IllegalArgumentException(settings.audioModel() + " is a streaming model: each stream's cache of its past (up to "
                    + audioModel.config().streamingContextLength() + " positions a layer) is checkpointed, and the JobManager's memory, where"
                    + " checkpoints go without --checkpoint-dir, takes at most 5 MB an operator; give --checkpoint-dir DIR (a local"
                    + " directory for a local run, a file system every node reads for a cluster)");
        }

        // each source validates its own records, so validation runs in the source's task (a union in front of it
        // would add a network hop)
        DataStream<StreamEvent> events = null;
        DataStream<DeadLetter> deadLetters = null;
        // uids keep each operator's state across upgrades from a savepoint (Flink would otherwise derive them from the topology)
        for (Input input : new Input[]{s.audioModel() != null ? Input.AUDIO : null, s.textModel() != null ? Input.TEXT : null}) {
            if (input == null) continue;
            String kind = input.code(), topic = input == Input.AUDIO ? s.audioTopic() : s.textTopic();
            SingleOutputStreamOperator<StreamEvent> valid = env.fromSource(source(s, topic, true),
                            WatermarkStrategy.noWatermarks(), "kafka " + topic).uid(kind + "-source")
                    .process(new Validation(s)).name("validate " + topic).uid(kind + "-validation");
            events = events == null ? valid : events.union(valid);
            deadLetters = deadLetters == null ? valid.getSideOutput(Validation.DEAD_LETTERS) : deadLetters.union(valid.getSideOutput(Validation.DEAD_LETTERS));
        }

        SingleOutputStreamOperator<Window> windows = events.keyBy(e -> e.streamId).process(new StreamAssembler(s, features, utterances))
                .name("features and windows").uid("windows");
        BroadcastStream<RawRecord> control = env.fromSource(source(s, s.controlTopic(), false),
                WatermarkStrategy.noWatermarks(), "kafka " + s.controlTopic()).uid("control-source").broadcast(ReformerOperator.MODELS);
        SingleOutputStreamOperator<Result> results = windowsTap.apply(windows).keyBy(w -> w.streamId).connect(control)
                .process(new ReformerOperator(s, new ModelControl.Feeding(audioModel != null ? features : null,
                        audioModel != null ? audioModel.task() : null, s.windowFrames(), streaming))).name("reformer").uid("reformer");
        DataStream<Result> transcripts = results.getSideOutput(ReformerOperator.TRANSCRIBED).keyBy(d -> d.streamId)
                .process(new TranscriptStitcher(s)).name("stitch transcripts").uid("stitcher");
        // the sink in a task of its own: at each checkpoint it flushes its producer and starts the next transaction,
        // which chained to the Reformer would stop the Reformer's thread meanwhile
        results.union(transcripts).sinkTo(sink(s, s.resultsTopic(), "results")).name("results").uid("results-sink").disableChaining();
        if (s.partialsTopic() != null) { // readable at once, not at the next checkpoint's commit; repeated after a failure
            transcripts.filter(r -> r.partial).name("partial transcripts").uid("partials")
                    .sinkTo(sink(s, s.partialsTopic(), "partials", DeliveryGuarantee.AT_LEAST_ONCE)).name("partials").uid("partials-sink");
        }
        deadLetters.union(windows.getSideOutput(Validation.DEAD_LETTERS), results.getSideOutput(ReformerOperator.CONTROL_DEAD_LETTERS))
                .map(d -> Result.of(d.streamId, d.toJson())).name("dead letters as JSON").uid("dead-letter-json")
                .sinkTo(sink(s, s.deadLetterTopic(), "dead-letters")).name("dead letters").uid("dead-letters-sink");
    }

    /** The settings that are Flink's own: state backend, checkpoint storage, parallelism. */
    public static org.apache.flink.configuration.Configuration flinkConfiguration(JobSettings s) {
        org.apache.flink.configuration.Configuration c = new org.apache.flink.configuration.Configuration();
        c.setString("state.backend.type", s.stateBackend());
        // RocksDB's checkpoints upload only the files written since the last one, not every stream's whole state again
        if (s.stateBackend().equals("rocksdb")) c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        if (s.checkpointDir() != null) {
            String dir = s.checkpointDir().contains("://") ? s.checkpointDir() : Path.of(s.checkpointDir()).toAbsolutePath().toUri().toString();
            c.setString("execution.checkpointing.dir", dir);
            // kept when the job is cancelled or killed, so that run --from-checkpoint can continue from the last one
            c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        c.setString("parallelism.default", String.valueOf(s.parallelism()));
        // an operator without a uid would fail the submission rather than get one derived from the topology, which
        // changes with the topology and then loses its state on the next upgrade from a savepoint
        c.setString("pipeline.auto-generate-uids", "false");
        return c;
    }

    /** input: an input topic, read from the earliest offset, fetches batched; else the control topic, from the latest (models named at start serve until a message). */
    static KafkaSource<RawRecord> source(JobSettings s, String topic, boolean input) {
        Properties properties = new Properties();
        if (input) {
            // Kafka's default answers a fetch as soon as one byte is there: at a steady few hundred records a second that
            // is a fetch per produce request, and the broker spent more CPU at half the job's capacity than at all of it;
            // waiting up to 20 ms for 16 KB cut the broker's CPU by almost half (docs/BENCHMARKS.md). The control topic
            // keeps Kafka's defaults (an idle fetch every 500 ms). --kafka-property overrides.
            properties.put("fetch.min.bytes", String.valueOf(SOURCE_FETCH_MIN_BYTES));
            properties.put("fetch.max.wait.ms", String.valueOf(SOURCE_FETCH_MAX_WAIT_MS));
        }
        properties.putAll(s.kafkaProperties());
        properties.put("isolation.level", "read_committed");
        return KafkaSource.<RawRecord>builder().setBootstrapServers(s.bootstrapServers()).setTopics(topic)
                .setGroupId(s.groupId()).setStartingOffsets(input ? OffsetsInitializer.earliest() : OffsetsInitializer.latest()).setProperties(properties)
                .setDeserializer(new RawRecordDeserializer()).build();
    }

    /** Keeps the whole record: dead letters give it back. */
    static final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, org.apache.flink.util.Collector<RawRecord> out) {
            Header[] headers = r.headers().toArray();
            String[] names = new String[headers.length];
            byte[][] values = new byte[headers.length][];
            for (int i = 0; i < headers.length; i++) {
                names[i] = headers[i].key();
                values[i] = headers[i].value();
            }
            out.collect(new RawRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), names, values));
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }

    /** JSON lines keyed by stream id, in Kafka transactions committed with each checkpoint. */
    static KafkaSink<Result> sink(JobSettings s, String topic, String name) {
        return sink(s, topic, name, DeliveryGuarantee.EXACTLY_ONCE);
    }

    static KafkaSink<Result> sink(JobSettings s, String topic, String name, DeliveryGuarantee guarantee) {
        Properties properties = new Properties();
        properties.putAll(s.kafkaProperties());
        // the sink's default (1 h) exceeds the broker's transaction.max.timeout.ms (15 min) and fails the job
        properties.put("transaction.timeout.ms", String.valueOf(s.transactionTimeoutMs()));
        return KafkaSink.<Result>builder().setBootstrapServers(s.bootstrapServers()).setKafkaProducerConfig(properties)
                .setDeliveryGuarantee(guarantee).setTransactionalIdPrefix(s.transactionalIdPrefix() + "-" + name)
                .setRecordSerializer(new JsonLineSerializer(topic)).build();
    }

    /** Results and dead letters of a stream share its key, so they keep its order. */
    static final class JsonLineSerializer implements KafkaRecordSerializationSchema<Result> {
        private final String topic;

        JsonLineSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Result r, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, StreamKeys.bytes(r.streamId),
                    r.json.getBytes(StandardCharsets.UTF_8));
        }
    }
}
