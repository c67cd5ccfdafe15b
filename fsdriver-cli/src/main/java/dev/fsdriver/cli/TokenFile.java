package dev.fsdriver.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** --token-file: the token is the file's first line, trimmed. */
final class TokenFile {
    private TokenFile() {}

    /** The token in {@code file}, or null when no file was given. */
    static String read(Path file) throws CliException {
        if (file == null) {
            return null;
        }
        String line;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            line = in.readLine();
        } catch (NoSuchFileException e) {
            throw new CliException("cannot read token file " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new CliException("cannot read token file " + file + ": permission denied");
        } catch (IOException e) {
            throw new CliException("cannot read token file " + file + ": " + e.getMessage());
        }
        String token = line == null ? "" : line.trim();
        if (token.isEmpty()) {
            throw new CliException("token file " + file + " is empty (the token is its first line)");
        }
        return token;
    }
}
