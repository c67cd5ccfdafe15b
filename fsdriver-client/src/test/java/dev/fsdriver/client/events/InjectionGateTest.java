package dev.fsdriver.client.events;

import dev.fsdriver.client.OwnReads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseRequest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate between the events layer and the server: whatever the injector's thread asks that
 * is not answered locally, and whatever the applier asks beyond reading, reaches nothing.
 * "The server" is a fake that records every call made to it.
 */
class InjectionGateTest {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<FuseRequest> requests = Collections.synchronizedList(new ArrayList<>());
    final FuseFileSystem server = (FuseFileSystem) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {FuseFileSystem.class}, (proxy, m, args) -> {
                calls.add(m.getName());
                if (args != null && args.length > 0 && args[0] instanceof FuseRequest r) {
                    requests.add(r);
                }
                if (args != null && args.length > 0 && args[args.length - 1] instanceof FuseFileSystem.Reply<?> reply) {
                    reply.done(null); // answered at once, with nothing
                }
                return defaultOf(m.getReturnType());
            });
    final Injector injector = new Injector(Path.of("/nonexistent-mount"), EventAwareFileSystemTest.NO_WRITES);
    final EventAwareFileSystemTest.Req fromInjector = new EventAwareFileSystemTest.Req(injector.tid());
    final EventAwareFileSystemTest.Req fromProgram = new EventAwareFileSystemTest.Req(1);
    final KernelView view = new KernelView();
    final EventAwareFileSystem events = new EventAwareFileSystem(server, OwnReadsOver.of(server), view, new EchoFilter(),
            new CachePolicy(3_600_000_000_000L, 1_000_000_000L), injector);
    /** What the kernel talks to: the injector's requests answered in front of the events layer. */
    final FuseFileSystem fs = new InjectionAnswers(events, injector);

    @AfterEach
    void close() {
        injector.close();
    }

    private static Object defaultOf(Class<?> type) {
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == String.class) {
            return "n";
        }
        return null;
    }

    /** Every method of the interface that serves a kernel request (first parameter the request header). */
    private static List<Method> requestMethods() {
        List<Method> all = new ArrayList<>();
        for (Method m : FuseFileSystem.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getParameterCount() > 0
                    && m.getParameterTypes()[0] == FuseRequest.class) {
                all.add(m);
            }
        }
        assertThat(all).hasSizeGreaterThan(30);
        return all;
    }

    /** Calls {@code m} on {@code target} as {@code req} with dummy arguments; returns the errno it failed with, or 0. */
    private static int call(FuseFileSystem target, Method m, FuseRequest req) throws Exception {
        Object[] args = new Object[m.getParameterCount()];
        args[0] = req;
        for (int i = 1; i < args.length; i++) {
            args[i] = defaultOf(m.getParameterTypes()[i]);
        }
        try {
            m.invoke(target, args);
            return 0;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof FuseException f) {
                return f.errno();
            }
            throw e;
        }
    }

    private static void assertEio(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(FuseException.class)
                .satisfies(e -> assertThat(((FuseException) e).errno()).isEqualTo(Errno.EIO));
    }

    @Test
    void theGateOverridesEveryMethodOfTheInterface() throws Exception {
        for (Method m : FuseFileSystem.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                assertThat(InjectionGate.class.getDeclaredMethod(m.getName(), m.getParameterTypes()))
                        .as("a default method would reach the delegate around the check: " + m).isNotNull();
            }
        }
    }

    @Test
    void systemCallsOnTheMountAreMadeOnlyInsideAnInjection() {
        // from any other thread the kernel's requests would not be the injector's: not stopped at the gate
        assertThatThrownBy(() -> InjectedCalls.unlink("/nonexistent-mount/x")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> InjectedCalls.mknod("/nonexistent-mount/x", FileMode.S_IFREG | 0644))
                .isInstanceOf(IllegalStateException.class);
        assertThat(injector.perform(null, () -> InjectedCalls.unlink("/nonexistent-mount/x"))).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void noRequestOfTheInjectorsThreadPassesTheGateWithOrWithoutAnInjection() throws Exception {
        InjectionGate gate = new InjectionGate(server, injector);
        Set<String> passed = new TreeSet<>();
        for (Method m : requestMethods()) {
            if (call(gate, m, fromInjector) != Errno.EIO) {
                passed.add(m.getName());
            }
        }
        injector.perform(new Injection(Injection.Op.DELETE, 1, "a", 0, null, events.ghost(FileMode.S_IFREG), 0, null),
                () -> {
                    try {
                        for (Method m : requestMethods()) {
                            if (call(gate, m, fromInjector) != Errno.EIO) {
                                passed.add(m.getName());
                            }
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
        assertThat(passed).isEmpty();
        assertThat(calls).isEmpty();
        // a program's request passes
        call(gate, FuseFileSystem.class.getMethod("unlink", FuseRequest.class, long.class, String.class,
                FuseFileSystem.Reply.class), fromProgram);
        assertThat(calls).containsExactly("unlink");
    }

    @Test
    void theEventsLayersOwnWayToTheServerHasOnlyReads() {
        Set<String> offered = new TreeSet<>();
        for (Method m : OwnReads.class.getMethods()) {
            offered.add(m.getName());
        }
        assertThat(offered).as("a change notification never changes the server: nothing here may")
                .containsExactlyInAnyOrder("lookup", "getattr", "opendir", "readdir", "releasedir", "eventSequence",
                        "forget");
    }

    /**
     * Injections whose requests name other nodes than the injection's (what a wrong event path,
     * or a kernel view that moved on, causes): each request fails EIO and the server hears nothing.
     */
    @Test
    void aMismatchedInjectionReachesNothing() throws Exception {
        long dir = 5;
        FuseEntry real = new FuseEntry(77, 0, new FuseAttr(77, 3, 0, 0, 0, 0, FileMode.S_IFREG | 0644, 1, 0, 0, 0, 4096),
                0, 0);
        FuseEntry standIn = events.ghost(FileMode.S_IFREG);
        List<Injection> injections = List.of(
                new Injection(Injection.Op.DELETE, dir, "a", 0, null, standIn, standIn.nodeId(), null),
                new Injection(Injection.Op.RENAME, dir, "a", dir, "c", standIn, standIn.nodeId(), null),
                new Injection(Injection.Op.CREATE, dir, "a", 0, null, real, 77, null),
                new Injection(Injection.Op.MODIFY, dir, "a", 0, null, null, 77, real.attr()),
                new Injection(Injection.Op.ATTRIB, dir, "a", 0, null, null, 77, real.attr()));
        for (Injection inj : injections) {
            injector.perform(inj, () -> {
                // the same name in another directory, another name in the same one
                for (long parent : new long[] {dir, dir + 1}) {
                    String name = parent == dir ? "b" : "a";
                    assertEio(() -> fs.lookup(fromInjector, parent, name, new FuseFileSystem.Reply<>() {
                        public void done(FuseEntry value) { throw new AssertionError("answered"); }
                        public void failed(int errno) { throw new AssertionError("answered"); }
                    }));
                    assertEio(() -> fs.unlink(fromInjector, parent, name, FuseFileSystem.Reply.ofErrno(errno -> { throw new AssertionError("answered"); })));
                    assertEio(() -> fs.rmdir(fromInjector, parent, name, FuseFileSystem.Reply.ofErrno(errno -> { throw new AssertionError("answered"); })));
                    assertEio(() -> fs.mknod(fromInjector, parent, name, FileMode.S_IFREG | 0644, 0, 0));
                    assertEio(() -> fs.mkdir(fromInjector, parent, name, 0755, 0));
                    assertEio(() -> fs.symlink(fromInjector, parent, name, "fsdriver-injected"));
                    assertEio(() -> fs.create(fromInjector, parent, name, FileMode.S_IFREG | 0644, 0, 0));
                    assertEio(() -> fs.rename(fromInjector, parent, name, dir, "c", 0));
                    assertEio(() -> fs.rename(fromInjector, dir, "a", parent, parent == dir ? "d" : "c", 0));
                    assertEio(() -> fs.link(fromInjector, 77, parent, name));
                }
                assertEio(() -> Reply.<FuseAttrReply>await(r -> fs.setattr(fromInjector, 78, null, r)));

                assertEio(() -> fs.open(fromInjector, 77, 0));
            });
        }
        assertThat(calls).as("calls that reached the server").isEmpty();
        assertThat(view.held(77)).as("nothing entered in the kernel's view").isFalse();
    }

    /**
     * The kernel's permission checks (default_permissions) ask for the attributes of the
     * directories an injected operation walks, and of a truncated or chmod-ed file, when the ones
     * it holds expired: the file's are the event's, the others are read as the applier's own
     * (a read); the injector's request itself reaches nothing.
     */
    @Test
    void theKernelsPermissionChecksAreAnsweredWithReadsOnly() throws Exception {
        long dir = 5;
        FuseAttr fileAttr = new FuseAttr(77, 3, 0, 0, 0, 0, FileMode.S_IFREG | 0600, 1, 0, 0, 0, 4096);
        List<Object> answers = new ArrayList<>();
        injector.perform(new Injection(Injection.Op.MODIFY, dir, "a", 0, null, null, 77, fileAttr), () -> {
            try {
                answers.add(Reply.<FuseAttrReply>await(r -> fs.getattr(fromInjector, 77, -1, r)).attr());
                answers.add(Reply.<FuseAttrReply>await(r -> fs.getattr(fromInjector, dir, -1, r)));
            } catch (FuseException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(answers.get(0)).isEqualTo(fileAttr);
        assertThat(calls).as("calls that reached the server").containsExactly("getattr");
        assertThat(requests).allMatch(r -> r instanceof OwnReadsOver.Own, "made as the events layer's own reads");
    }
}
