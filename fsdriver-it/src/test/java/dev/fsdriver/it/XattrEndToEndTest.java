package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extended attributes through the real kernel mount, compared with a native directory: the same
 * Python program (os.*xattr, and libc through ctypes for the size probe and a short buffer) runs
 * in both and must print the same outcomes, errors included. The namespaces a share does not keep
 * are checked against what a local file system without ACLs answers (the native directory here
 * has ACLs, so those differ on purpose).
 */
class XattrEndToEndTest {
    /** Each line "label=result" with errno names for failures; argv[1] is the directory. */
    private static final String SCRIPT = """
            import ctypes, errno, os, subprocess, sys
            d = sys.argv[1]
            libc = ctypes.CDLL(None, use_errno=True)
            out = []
            def t(label, f):
                try:
                    out.append('%s=%r' % (label, f()))
                except OSError as e:
                    out.append('%s=%s' % (label, errno.errorcode[e.errno]))
            def c(r):
                if r < 0:
                    raise OSError(ctypes.get_errno(), 'libc')
                return r
            def getx(p, name, size):
                buf = ctypes.create_string_buffer(max(size, 1))
                n = c(libc.getxattr(p.encode(), name.encode(), buf if size else None, size))
                return buf.raw[:n] if size else n
            def listx(p, size):
                buf = ctypes.create_string_buffer(max(size, 1))
                n = c(libc.listxattr(p.encode(), buf if size else None, size))
                return sorted(buf.raw[:n].split(b'\\0')[:-1]) if size else n
            f = os.path.join(d, 'f'); open(f, 'w').write('content')
            dd = os.path.join(d, 'd'); os.mkdir(dd)
            l = os.path.join(d, 'l'); os.symlink('f', l)
            for name, p in (('file', f), ('dir', dd)):
                t(name + ' list-none', lambda: os.listxattr(p))
                t(name + ' get-missing', lambda: os.getxattr(p, 'user.k'))
                t(name + ' set', lambda: os.setxattr(p, 'user.k', b'v1'))
                t(name + ' create-existing', lambda: os.setxattr(p, 'user.k', b'v2', os.XATTR_CREATE))
                t(name + ' replace-missing', lambda: os.setxattr(p, 'user.none', b'v', os.XATTR_REPLACE))
                t(name + ' create', lambda: os.setxattr(p, 'user.new', b'n', os.XATTR_CREATE))
                t(name + ' replace', lambda: os.setxattr(p, 'user.k', b'value-two', os.XATTR_REPLACE))
                t(name + ' get', lambda: os.getxattr(p, 'user.k'))
                t(name + ' other-case', lambda: os.getxattr(p, 'user.K'))
                t(name + ' set-empty', lambda: os.setxattr(p, 'user.e', b''))
                t(name + ' get-empty', lambda: os.getxattr(p, 'user.e'))
                t(name + ' binary', lambda: os.setxattr(p, 'user.caf\\u00e9', bytes(range(256)) * 4))
                t(name + ' get-binary', lambda: os.getxattr(p, 'user.caf\\u00e9') == bytes(range(256)) * 4)
                t(name + ' probe', lambda: getx(p, 'user.k', 0))
                t(name + ' short-buffer', lambda: getx(p, 'user.k', 3))
                t(name + ' exact-buffer', lambda: getx(p, 'user.k', 9))
                t(name + ' list-probe', lambda: listx(p, 0))
                t(name + ' list-short', lambda: listx(p, 5))
                t(name + ' list', lambda: listx(p, 4096))
                t(name + ' name-256', lambda: os.setxattr(p, 'user.' + 'n' * 251, b'v'))
                t(name + ' name-255', lambda: os.setxattr(p, 'user.' + 'n' * 250, b'v'))
                t(name + ' value-65537', lambda: os.setxattr(p, 'user.big', b'x' * 65537))
                t(name + ' remove', lambda: os.removexattr(p, 'user.new'))
                t(name + ' remove-missing', lambda: os.removexattr(p, 'user.new'))
                t(name + ' list-after', lambda: sorted(os.listxattr(p)))
            t('symlink set', lambda: os.setxattr(l, 'user.k', b'v', follow_symlinks=False))
            t('symlink get', lambda: os.getxattr(l, 'user.k', follow_symlinks=False))
            t('symlink remove', lambda: os.removexattr(l, 'user.k', follow_symlinks=False))
            t('through symlink', lambda: os.getxattr(l, 'user.k'))
            t('set through symlink', lambda: os.setxattr(l, 'user.via', b'link'))
            t('get at target', lambda: os.getxattr(f, 'user.via'))
            t('write after', lambda: open(f, 'a').write('more'))
            t('content', lambda: open(f).read())
            t('kept by rename', lambda: (os.rename(f, os.path.join(dd, 'g')), os.getxattr(os.path.join(dd, 'g'), 'user.k'))[1])
            t('cp -a', lambda: subprocess.run(['cp', '-a', os.path.join(dd, 'g'), os.path.join(d, 'copy')], check=True).returncode)
            t('copied', lambda: os.getxattr(os.path.join(d, 'copy'), 'user.via'))
            print('\\n'.join(out))
            """;

    /** What a local file system without ACLs (and no security module) answers for the other namespaces. */
    private static final String OTHERS = """
            import errno, os, sys
            f = os.path.join(sys.argv[1], 'copy')
            def t(label, g):
                try:
                    print('%s=%r' % (label, g()))
                except OSError as e:
                    print('%s=%s' % (label, errno.errorcode[e.errno]))
            t('get security.capability', lambda: os.getxattr(f, 'security.capability'))
            t('get trusted.k', lambda: os.getxattr(f, 'trusted.k'))
            t('get system.posix_acl_access', lambda: os.getxattr(f, 'system.posix_acl_access'))
            t('set system.posix_acl_access', lambda: os.setxattr(f, 'system.posix_acl_access', b'\\2\\0\\0\\0'))
            t('set security.x', lambda: os.setxattr(f, 'security.x', b'v'))
            t('set trusted.k', lambda: os.setxattr(f, 'trusted.k', b'v'))
            t('remove security.x', lambda: os.removexattr(f, 'security.x'))
            t('namespaces listed', lambda: sorted({n.split('.')[0] for n in os.listxattr(f)}))
            """;

    @TempDir
    Path tmp;

    @Test
    void userXattrsBehaveAsInANativeDirectoryAndOtherNamespacesAsWithoutAcls() throws Exception {
        Path native_ = Files.createDirectories(tmp.resolve("native-xattr"));
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-xattr"));
        Files.writeString(tmp.resolve("xattrs.py"), SCRIPT);
        Files.writeString(tmp.resolve("others.py"), OTHERS);
        String expected = Fsdriver.shOk(tmp, "python3 xattrs.py " + native_);
        assertThat(expected).contains("file get=b'value-two'").contains("file short-buffer=ERANGE")
                .contains("file create-existing=EEXIST").contains("file replace-missing=ENODATA")
                .contains("symlink set=EPERM").contains("copied=b'link'");
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            assertThat(Fsdriver.shOk(tmp, "python3 xattrs.py " + mnt)).isEqualTo(expected);
            // the values are the files' own on the server
            assertThat(Fsdriver.shOk(tmp, "python3 -c \"import os; print(os.getxattr('" + s.resolve("copy")
                    + "', 'user.via'))\"")).isEqualTo("b'link'\n");
            // Python names errno 95 ENOTSUP (EOPNOTSUPP on Linux)
            assertThat(Fsdriver.shOk(tmp, "python3 others.py " + mnt)).isEqualTo("""
                    get security.capability=ENODATA
                    get trusted.k=ENODATA
                    get system.posix_acl_access=ENOTSUP
                    set system.posix_acl_access=ENOTSUP
                    set security.x=ENOTSUP
                    set trusted.k=ENOTSUP
                    remove security.x=ENODATA
                    namespaces listed=['user']
                    """);
        }
    }

    @Test
    void aReadOnlyShareReadsXattrsAndRefusesChangesWithErofs() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-xattr-ro"));
        Files.writeString(s.resolve("f"), "x");
        Fsdriver.shOk(tmp, "python3 -c \"import os; os.setxattr('" + s.resolve("f") + "', 'user.k', b'kept')\"");
        String py = """
                import errno, os, sys
                f = os.path.join(sys.argv[1], 'f')
                def t(label, g):
                    try:
                        print('%s=%r' % (label, g()))
                    except OSError as e:
                        print('%s=%s' % (label, errno.errorcode[e.errno]))
                t('get', lambda: os.getxattr(f, 'user.k'))
                t('list', lambda: os.listxattr(f))
                t('set', lambda: os.setxattr(f, 'user.k', b'changed'))
                t('remove', lambda: os.removexattr(f, 'user.k'))
                t('get again', lambda: os.getxattr(f, 'user.k'))
                """;
        Files.writeString(tmp.resolve("ro.py"), py);
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "ro=" + s + ":ro");
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "ro", mnt)) {
            assertThat(Fsdriver.shOk(tmp, "python3 ro.py " + mnt)).isEqualTo("""
                    get=b'kept'
                    list=['user.k']
                    set=EROFS
                    remove=EROFS
                    get again=b'kept'
                    """);
        }
    }
}
