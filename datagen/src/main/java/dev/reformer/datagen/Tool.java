package dev.reformer.datagen;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An external program that datagen runs (a speech engine, sox, npm), with the Debian package that provides it, so that
 * a missing one can be named with the line that installs it.
 */
public record Tool(String binary, String debianPackage, String purpose) {
    public static final Tool ESPEAK_NG = new Tool("espeak-ng", "espeak-ng", "speech synthesis");
    public static final Tool FLITE = new Tool("flite", "flite", "speech synthesis");
    public static final Tool FESTIVAL = new Tool("text2wave", "festival", "speech synthesis");
    public static final Tool SOX = new Tool("sox", "sox", "resampling and augmentation");
    public static final Tool NPM = new Tool("npm", "npm", "installing the spam corpus");

    /** A process that ran too long is stuck (festival waiting on input, say): no clip takes this long. */
    private static final long TIMEOUT_SECONDS = 120;

    /** Whether the binary is on the PATH. */
    public boolean installed() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) return true;
        }
        return false;
    }

    /** Whether dpkg has the Debian package installed (false where there is no dpkg). */
    public static boolean packageInstalled(String debianPackage) {
        try {
            return new String(run(List.of("dpkg-query", "-W", "-f=${Status}", debianPackage), null), StandardCharsets.UTF_8)
                    .trim().equals("install ok installed");
        } catch (IOException e) {
            return false;
        }
    }

    /** The command that installs the Debian packages given. */
    public static String aptInstallLine(List<String> packages) {
        return "apt-get install -y --no-install-recommends " + String.join(" ", packages);
    }

    /** Runs apt-get install for the packages, its output passed through; true when it succeeded. */
    public static boolean aptInstall(List<String> packages) throws IOException, InterruptedException {
        if (packages.isEmpty()) return true;
        System.err.println("installing: " + aptInstallLine(packages));
        List<String> command = new ArrayList<>(List.of("apt-get", "install", "-y", "--no-install-recommends"));
        command.addAll(packages);
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO().redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process process = builder.start();
        process.getOutputStream().close();
        return process.waitFor() == 0;
    }

    /**
     * Runs a command and returns what it wrote to stdout. A failure (exit code, timeout) throws IOException with the
     * command and the end of its stderr, so the message says what went wrong.
     */
    public static byte[] run(List<String> command, byte[] stdin) throws IOException {
        return run(command, stdin, TIMEOUT_SECONDS);
    }

    /** {@link #run(List, byte[])} for a program that may take longer than a clip does (training a baseline). */
    public static byte[] run(List<String> command, byte[] stdin, long timeoutSeconds) throws IOException {
        Process process = new ProcessBuilder(command).start();
        // both pipes drained at once: a full stderr pipe would block a process that is still writing stdout
        CompletableFuture<byte[]> out = drain(process.getInputStream());
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        try (var in = process.getOutputStream()) {
            if (stdin != null) in.write(stdin);
        } catch (IOException ignored) {
            // the process may exit without reading its input; its exit code tells
        }
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer after " + timeoutSeconds + " s");
            }
            int code = process.exitValue();
            if (code != 0) {
                String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
                if (stderr.length() > 500) stderr = "..." + stderr.substring(stderr.length() - 500);
                throw new IOException(String.join(" ", command) + " failed with exit code " + code + (stderr.isEmpty() ? "" : ": " + stderr));
            }
            return out.join();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    /** Reads a stream to its end on a thread of its own (not the common pool, which on 2 cores has one thread). */
    private static CompletableFuture<byte[]> drain(InputStream stream) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (stream; ByteArrayOutputStream bytes = new ByteArrayOutputStream()) {
                stream.transferTo(bytes);
                result.complete(bytes.toByteArray());
            } catch (IOException e) {
                result.completeExceptionally(new UncheckedIOException(e));
            }
        }, "tool-output");
        reader.setDaemon(true);
        reader.start();
        return result;
    }
}
