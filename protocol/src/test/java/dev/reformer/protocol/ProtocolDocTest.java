package dev.reformer.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Kind;
import dev.reformer.protocol.Codes.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/PROTOCOL.md and the records say the same: every header, field, reason and code of the records is in the
 * document, and every one the document names (its tables, JSON examples and backticked names) is in the records.
 */
class ProtocolDocTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`"), JSON_KEY = Pattern.compile("\"([a-z_0-9]+)\"\\s*:"),
            QUOTED = Pattern.compile("\"([a-z_0-9]+)\"");

    /** The document's sections by their heading (the text before the first heading under ""). */
    private static Map<String, String> sections() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "PROTOCOL.md"));
        Map<String, String> out = new LinkedHashMap<>();
        String[] parts = doc.split("(?m)^## ");
        out.put("", parts[0]);
        for (int i = 1; i < parts.length; i++) out.put(parts[i].substring(0, parts[i].indexOf('\n')), parts[i]);
        return out;
    }

    private static String section(String topic) throws IOException {
        return sections().entrySet().stream().filter(e -> e.getKey().startsWith("`" + topic + "`")).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("docs/PROTOCOL.md has no section ## `" + topic + "`"));
    }

    /** The JSON names of a record's fields, as the codec writes them. */
    private static Set<String> fields(Class<?>... types) {
        Set<String> names = new TreeSet<>();
        for (Class<?> t : types) {
            JSON.getSerializationConfig().introspect(JSON.constructType(t)).findProperties().forEach(p -> names.add(p.getName()));
        }
        return names;
    }

    private static Set<String> all(Pattern p, String text) {
        Set<String> out = new TreeSet<>();
        for (Matcher m = p.matcher(text); m.find(); ) out.add(m.group(1));
        return out;
    }

    private static <E extends Enum<E>> Set<String> codes(E[] values, java.util.function.Function<E, String> code) {
        return Arrays.stream(values).map(code).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }

    @Test
    void everyTopicHasItsSection() throws IOException {
        Set<String> headings = sections().keySet().stream().filter(h -> h.startsWith("`"))
                .map(h -> h.substring(1, h.indexOf('`', 1))).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of(Topics.AUDIO_IN, Topics.TEXT_IN, Topics.RESULTS, Topics.DEAD_LETTERS, Topics.MODELS_CONTROL)), headings);
    }

    @Test
    void headersAreTheRecordsHeaders() throws IOException {
        Pattern header = Pattern.compile("header `([^`]+)`");
        assertEquals(new TreeSet<>(KafkaHeaders.AUDIO), all(header, section(Topics.AUDIO_IN)), "audio-in headers");
        assertEquals(new TreeSet<>(KafkaHeaders.TEXT), all(header, section(Topics.TEXT_IN)), "text-in headers");
    }

    @Test
    void resultFieldsAreTheRecordsFields() throws IOException {
        // the preamble says how a key becomes "stream"; the labels inside an example's "scores" are no fields
        String doc = sections().get("") + section(Topics.RESULTS).replaceAll("\"scores\":\\s*\\{[^}]*}", "\"scores\": {}");
        Set<String> fields = fields(ResultMessage.class, ResultMessage.WindowSpan.class, ResultMessage.ModelVersion.class);
        Set<String> keys = all(JSON_KEY, doc);
        assertTrue(fields.containsAll(keys), "fields of the examples that ResultMessage lacks: " + minus(keys, fields));
        Set<String> named = new TreeSet<>(keys);
        named.addAll(all(QUOTED, doc));
        named.addAll(all(BACKTICKED, doc));
        assertTrue(named.containsAll(fields), "fields of ResultMessage that docs/PROTOCOL.md does not name: " + minus(fields, named));
        Set<String> values = new TreeSet<>(fields);
        values.addAll(codes(Kind.values(), Kind::code));
        values.addAll(codes(Ending.values(), Ending::code));
        values.addAll(codes(Input.values(), Input::code));
        values.addAll(Set.of(Topics.AUDIO_IN, Topics.TEXT_IN, Topics.RESULTS, Topics.DEAD_LETTERS, Topics.MODELS_CONTROL));
        for (String quoted : all(BACKTICKED, section(Topics.RESULTS))) {
            if (quoted.startsWith("{")) continue;   // a JSON example: its keys were checked above
            String token = quoted.replace("\"", "").split(":")[0].trim();   // `"final": true` names the field final
            if (token.startsWith("--") || Character.isUpperCase(token.charAt(0)) || token.startsWith("dev.")
                    || token.matches(".*\\.(safetensors|json|md|wav)")) continue;   // options, classes, files
            for (String part : token.split("\\.")) assertTrue(values.contains(part), "`" + token + "` of the results section is no field or code of ResultMessage");
        }
        for (Kind k : Kind.values()) assertTrue(doc.contains("`" + k.code() + "`") || doc.contains("\"" + k.code() + "\""), "kind " + k.code());
        for (Ending e : Ending.values()) assertTrue(doc.contains("`" + e.code() + "`") || doc.contains("\"" + e.code() + "\""), "ending " + e.code());
    }

    @Test
    void deadLettersAreTheRecordsFieldsAndReasons() throws IOException {
        String doc = section(Topics.DEAD_LETTERS);
        String example = Arrays.stream(doc.split("\n")).filter(l -> l.startsWith("    ")).collect(Collectors.joining("\n"))
                .replaceAll("\"headers_base64\":\\s*\\{[^}]*}", "\"headers_base64\": {}");   // header names inside are no fields
        Set<String> fields = fields(DeadLetterMessage.class), keys = all(JSON_KEY, example);
        assertTrue(fields.containsAll(keys), "fields of the example that DeadLetterMessage lacks: " + minus(keys, fields));
        keys.addAll(all(QUOTED, sections().get("")));   // the preamble says how a key becomes "stream" and "stream_base64"
        assertTrue(keys.containsAll(fields), "fields of DeadLetterMessage that docs/PROTOCOL.md does not name: " + minus(fields, keys));
        Set<String> tabled = new TreeSet<>();
        for (String line : doc.split("\n")) {
            if (!line.startsWith("| `")) continue;
            tabled.addAll(all(BACKTICKED, line.substring(0, line.indexOf('|', 1))));
        }
        assertEquals(codes(DeadLetterReason.values(), DeadLetterReason::code), tabled, "the reasons table against DeadLetterReason");
        for (Stage s : Stage.values()) assertTrue(doc.contains("`" + s.code() + "`"), "stage " + s.code());
    }

    @Test
    void controlMessagesAreTheRecordsFields() throws IOException {
        assertEquals(fields(ControlMessage.class), all(JSON_KEY, section(Topics.MODELS_CONTROL)), "the control message's fields");
    }
}
