package dev.reformer.pipeline;

/**
 * A transcription model's reading of one window, position by position (the most likely symbol of each, blanks
 * included: {@code TaskModel.Transcription#path}, read once by the model), on its way from {@link ReformerOperator} to
 * the stream's {@link TranscriptStitcher}, with the alphabet that spells it.
 */
public class Decoded {
    public String streamId;
    public long index;
    public long startFrame;
    public long endFrame;
    public boolean last;
    /** As {@link Window#ending}. */
    public String ending;
    /** 10 ms frames per position. */
    public int frameStack;
    /** Most likely symbol per position; 0 is the CTC blank. */
    public int[] best;
    /** The model's symbols (index 0: the blank, ""). */
    public String[] symbols;
    /** What stands between two symbols: "" for characters, " " for words. */
    public String symbolSeparator = "";
    public String modelName;
    public String modelVersion;
    public long sourceTimestamp;

    public Decoded() {}

    /** A window's reading by the audio model being served. */
    static Decoded of(Window w, int[] best, ModelControl.Served audio) {
        Decoded d = new Decoded();
        d.streamId = w.streamId;
        d.index = w.index;
        d.startFrame = w.startFrame;
        d.endFrame = w.endFrame;
        d.last = w.last;
        d.ending = w.ending;
        d.frameStack = audio.model().input().stack();
        d.best = best;
        d.symbols = audio.model().labels().toArray(String[]::new);
        d.symbolSeparator = audio.model().symbolUnit().separator;
        d.modelName = audio.ref().name();
        d.modelVersion = audio.ref().version();
        d.sourceTimestamp = w.sourceTimestamp;
        return d;
    }
}
