package dev.fsdriver.fuse;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.nio.file.Path;

/** The contract on the in-memory example file system (files created through the mount). */
class MemoryFileSystemTest extends FileSystemContractTest {
    @Override
    FuseFileSystem fileSystem(Path tmp) {
        return new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                RecordingFileSystem.record(name, req);
                return super.lookup(req, parent, name);
            }
        };
    }
}
