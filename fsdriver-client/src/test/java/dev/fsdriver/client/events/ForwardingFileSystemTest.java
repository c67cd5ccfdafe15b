package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseFileSystem;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

/** A layer passes on whatever it does not change: no interface default answers in its place. */
class ForwardingFileSystemTest {
    @Test
    void everyMethodOfTheInterfaceIsPassedOn() throws Exception {
        for (Method m : FuseFileSystem.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                assertThat(ForwardingFileSystem.class.getDeclaredMethod(m.getName(), m.getParameterTypes()))
                        .as("a default method would answer ENOSYS or call the other form on the layer: " + m)
                        .isNotNull();
            }
        }
    }
}
