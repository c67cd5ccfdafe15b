package dev.fsdriver.server.events;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.proto.v1.EventsGrpc;
import java.util.Map;

/**
 * Events.Watch: reserved for the change-notification work (Backend.watch -> debounced
 * ChangeEvent batches with sequence numbers, see DESIGN.md section 3). Until then every call
 * answers UNIMPLEMENTED (the generated default), and HelloReply does not advertise "watch".
 * FsServer creates exactly one instance with the backends by share name; calls pass through
 * the same auth interceptor as Files (token checked before this service sees them).
 */
public class EventsService extends EventsGrpc.EventsImplBase {
    protected final Map<String, Backend> backends;

    public EventsService(Map<String, Backend> backends) {
        this.backends = backends;
    }
}
