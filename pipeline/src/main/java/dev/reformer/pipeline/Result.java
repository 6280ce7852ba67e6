package dev.reformer.pipeline;

/** One line for the results or dead-letter topic: its JSON, and the stream it belongs to (the record's key). */
public class Result {
    public String streamId;
    public String json;
    /** A partial transcript: more of its stream's (or utterance's) text will follow. */
    public boolean partial;

    public Result() {}

    public static Result of(String streamId, String json) {
        Result r = new Result();
        r.streamId = streamId;
        r.json = json;
        return r;
    }
}
