package dev.fsdriver.fuse;

import dev.fsdriver.client.ClientOptions;

/**
 * The file system contract on the remote file system with the smallest chunks, so that the
 * contract's files cross many block boundaries in the client's read-ahead and write-behind,
 * listings take many pages, and nothing is read whole at open or kept across opens.
 */
class RemoteSmallBlocksContractTest extends RemoteFileSystemContractTest {
    @Override
    ClientOptions clientOptions() {
        return ClientOptions.builder()
                .blockSize(ClientOptions.MIN_BLOCK_SIZE)   // --block-size 4k
                .readAheadBlocks(1)
                .writeBehindChunks(1)
                .readDirPageSize(7)   // pages end mid-way and at odd offsets
                .inlineReadMax(0)     // no content with Open: every read through BlockReader
                .keepCache(false)
                .build();
    }
}
