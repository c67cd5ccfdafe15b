package dev.fsdriver.backend;

import java.util.List;

/**
 * From {@link Backend#attributes}: the attributes of each name asked for, in that order (null for
 * a name gone meanwhile), and those of the directory they were looked up in (the caller checks
 * that it is the directory the names came from).
 */
public record PageAttributes(FileAttributes dir, List<FileAttributes> entries) {
}
