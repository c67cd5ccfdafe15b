#!/usr/bin/env python3
"""Seeded random namespace operations (like fsstress: creat, write, mkdir, unlink, rmdir, rename,
rename noreplace, rename exchange, symlink, truncate, chmod), applied in the same order to a
mount and to a local reference directory, then the served tree compared with the reference.
Run by scripts/namespace-stress.sh (by hand: not part of ./test).
Usage: namespace-stress.py run MOUNT REF SEED N | namespace-stress.py compare SERVED REF"""
import ctypes, errno, os, random, sys

libc = ctypes.CDLL(None, use_errno=True)
AT = -100
def renameat2(a, b, flags):
    if libc.renameat2(AT, a.encode(), AT, b.encode(), flags) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))

def run(root, rnd_ops):
    out = []
    for op, a, b in rnd_ops:
        pa, pb = os.path.join(root, a), os.path.join(root, b) if b else None
        try:
            if op == "creat":
                with open(pa, "w") as f: f.write(a * 3)
            elif op == "write":
                with open(pa, "a") as f: f.write("x" * 7)
            elif op == "mkdir": os.mkdir(pa)
            elif op == "unlink": os.unlink(pa)
            elif op == "rmdir": os.rmdir(pa)
            elif op == "rename": os.rename(pa, pb)
            elif op == "rnoreplace": renameat2(pa, pb, 1)
            elif op == "rexchange": renameat2(pa, pb, 2)
            elif op == "symlink": os.symlink("t-" + a.replace("/", "_"), pa)
            elif op == "truncate": os.truncate(pa, 3)
            elif op == "chmod": os.chmod(pa, 0o600)
            out.append(0)
        except OSError as e:
            out.append(e.errno)
    return out

def ops(seed, n):
    r = random.Random(seed)
    names = ["d%d" % i for i in range(4)] + ["f%d" % i for i in range(4)]
    def path():
        depth = r.randint(1, 3)
        return "/".join(r.choice(names) for _ in range(depth))
    kinds = ["creat", "write", "mkdir", "mkdir", "unlink", "rmdir", "rename", "rnoreplace", "rexchange",
             "rexchange", "symlink", "truncate", "chmod"]
    return [(k, path(), path() if k.startswith("r") and k != "rmdir" else None) for k in (r.choice(kinds) for _ in range(n))]

def tree(root):
    t = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n); rel = os.path.relpath(p, root)
            if os.path.islink(p): t[rel] = "link " + os.readlink(p)
            elif os.path.isdir(p): t[rel] = "dir"
            else: t[rel] = "file " + open(p).read()
    return t

def compare(served, ref):
    a, b = tree(served), tree(ref)
    diff = sorted(set(a.items()) ^ set(b.items()))
    print("entries", len(a), len(b), "differences", len(diff))
    for x in diff[:20]:
        print(" ", x)
    print("fsdriver-injected symlinks on the server:", sum(1 for v in a.values() if "fsdriver-injected" in v))
    return len(diff)

if __name__ == "__main__":
    if sys.argv[1] == "run":
        mnt, ref, seed, n = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        o = ops(seed, n)
        on_mount, on_ref = run(mnt, o), run(ref, o)
        print("errnos differ (op, mount, local):",
              [(o[i], x, y) for i, (x, y) in enumerate(zip(on_mount, on_ref)) if x != y][:10])
    else:
        sys.exit(1 if compare(sys.argv[2], sys.argv[3]) else 0)
