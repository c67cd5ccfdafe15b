/**
 * The client's caches of the server's state, with one API the file systems call,
 * {@link RemoteCaches}: what the mount changes ({@code changing}, {@code childChanging},
 * {@code namesChanging} and {@code namesChanged}), what changed elsewhere or of the event stream's
 * state ({@code changedElsewhere}, {@code enableWhile}), and what it keeps to answer from while
 * events flow: attributes ({@link KnownAttrs}), listings kept for a second pass or for lookups
 * ({@link KeptListings}, {@link ColdLookups}), replies fetched ahead ({@link Prefetcher}), the
 * share's statfs figures. Hits and misses are counted in {@link CacheStats}.
 *
 * <p>Nothing here names the rest of the client: what the caches need of it comes in as values or
 * narrow interfaces (the Files stub, a reader of directory pages, the giving back of a node
 * reference, a lender of references the kernel holds).
 */
package dev.fsdriver.client.cache;
