/**
 * Change events, server side: backend watcher -> {@link dev.fsdriver.server.events.EventHub}
 * (one per share: debounce, storm throttling, sequence numbers, bounded history) ->
 * {@link dev.fsdriver.server.events.EventsService} (the Events.Watch stream).
 *
 * <h2>The Watch contract, for clients</h2>
 * <ol>
 *   <li>Open {@code Events.Watch} with the usual headers ("authorization: Bearer TOKEN" if the
 *       server has a token; "fsdriver-share" may be sent and must then name a known share).
 *       The first message must be {@code Subscribe{share, resume_after}}; {@code resume_after = 0}
 *       means live events only.
 *   <li>The first {@code WatchReply} carries {@code last_sequence} (the cursor the stream starts
 *       from) and, when resuming, the replay. Every later reply carries a batch of events and
 *       {@code last_sequence} = the last event's sequence. Sequences increase but are not
 *       contiguous for one client (a per-client OVERFLOW stands for the events it replaces).
 *   <li>Events: CREATED, DELETED, MODIFIED (content), ATTRIB, RENAMED (path -> new_path; the
 *       old new_path, if it existed, was replaced; a RENAME_EXCHANGE comes as two RENAMED,
 *       a -> b then b -> a, the second about the file that was at b, and every path after them
 *       names the exchanged subtrees where they are now), OVERFLOW(path): changes under path (""
 *       = the whole share) were lost: drop caches under it and rescan. {@code directory} tells
 *       whether the path is a directory. CREATED, MODIFIED and ATTRIB carry {@code attr}, the
 *       path's attributes as they were when the event was sent (absent when it was gone by then).
 *   <li>Ack: send {@code Ack{sequence}} after applying a reply (its last_sequence). The server
 *       keeps at most {@link dev.fsdriver.server.events.EventsService.Limits#maxUnacked} events
 *       unacked; a client that stops acking stops receiving, its queue fills and is replaced by
 *       one OVERFLOW("").
 *   <li>Own changes: a client that sends "fsdriver-session: ID" (the session its Hello got, on
 *       the same connection; see dev.fsdriver.server.Sessions) with its calls (the Watch stream
 *       included) receives no events of the changes it made itself through the Files
 *       service; every other change is sent, however soon after its own (see {@link
 *       dev.fsdriver.server.events.Origins}). A reply may then carry no events and only move
 *       {@code last_sequence} past skipped ones.
 *   <li>Reconnect: subscribe again with {@code resume_after} = the last sequence applied. The
 *       server replays what followed, or sends OVERFLOW("") when its history (65,536 events)
 *       no longer reaches back or the cursor is from another server process.
 *   <li>Errors: NOT_FOUND (ENOENT) for a share that is unknown or not watched (the client should
 *       then use short cache timeouts); UNAVAILABLE when the server shuts down (reconnect and
 *       resume).
 * </ol>
 *
 * <p>Debounce is leading and trailing edge (20 ms window, 100 ms bound): the first MODIFIED of
 * a write burst goes out at once, possibly before the burst's last write; when more followed,
 * one trailing MODIFIED comes after the path was quiet for 20 ms (at most 100 ms later). Apply
 * each one: the last MODIFIED of a path always comes after its last change.
 *
 * <p>Guarantees: one path's CREATED/DELETED/RENAMED/OVERFLOW are never reordered, and pending
 * MODIFIED/ATTRIB of a path are sent before a later structural event of it. A CREATED may be
 * repeated (a directory's scan and the kernel both saw it). A file created and removed before
 * its new parent directory was watched is not reported at all: the end state is right.
 */
package dev.fsdriver.server.events;
