#!/usr/bin/python3
# A FUSE filesystem that loses power on request, for test/faults/power-cut.test.ts.
#
#   /usr/bin/python3 powercut_fs.py MOUNTPOINT --image DIR --dump DIR [--cut-after-bytes N]
#                                   [--keep-probability P --seed S]
#
# It loads the tree under --image into memory (all of it durable) and serves it at MOUNTPOINT.
# Every change is volatile until it is made durable the strict POSIX way:
#   - the bytes of a file become durable when that file is fsynced (fsync or fdatasync);
#   - a directory's entries (create, mkdir, symlink, rename, unlink, rmdir) become durable when
#     that directory is fsynced; fsyncing a file does not make its name durable.
# ext4 (data=ordered) is kinder: a rename is usually committed with the journal, and an fsync
# of a new file commits its directory entry too. This model is the worst a POSIX drive may do.
#
# A "cut" (the line `cut` on stdin, or the N-th byte written with --cut-after-bytes) writes the
# durable state to --dump (a new folder: the drive as it is after the power comes back), prints
# `cut <bytes written>`, and from then on every operation fails with EIO, as on a drive that
# lost power. With --keep-probability P, each file's unsynced data and each directory's
# unsynced entries survive the cut with probability P instead (the kernel may have written some
# of them back before the cut; seeded). The test then unmounts it (umount -l) and mounts the
# dump again. Metadata (mode, times) is durable at once (the protocol does not depend on it).
# stdin `stats` prints `stats <bytes written>`.
import argparse
import errno
import os
import random
import stat
import subprocess
import sys
import threading
import time

try:
    from fusepy import FUSE, FuseOSError, Operations  # Debian's python3-fusepy
except ImportError:  # pip's fusepy
    from fuse import FUSE, FuseOSError, Operations


class Node:
    __slots__ = ('ino', 'mode', 'mtime', 'data', 'ddata', 'entries', 'dentries', 'target')

    def __init__(self, ino, mode, mtime):
        self.ino = ino
        self.mode = mode
        self.mtime = mtime
        self.data = None      # files: live bytes
        self.ddata = None     # files: durable bytes
        self.entries = None   # dirs: live name -> Node
        self.dentries = None  # dirs: durable name -> Node
        self.target = None    # symlinks


class PowerCutFS(Operations):
    def __init__(self, image, dump, cut_after, keep_probability, seed):
        self.mutex = threading.RLock()
        self.next_ino = 1
        self.dump_dir = dump
        self.cut_after = cut_after
        self.keep_probability = keep_probability
        self.rng = random.Random(seed)
        self.written = 0
        self.dead = False
        self.handles = {}
        self.next_fh = 1
        self.root = self.load(image)

    # ---- the tree ------------------------------------------------------------------------
    def new_node(self, mode, mtime=None):
        n = Node(self.next_ino, mode, time.time() if mtime is None else mtime)
        self.next_ino += 1
        if stat.S_ISDIR(mode):
            n.entries, n.dentries = {}, {}
        elif stat.S_ISREG(mode):
            n.data, n.ddata = bytearray(), b''
        return n

    def load(self, path):
        st = os.lstat(path)
        n = self.new_node(st.st_mode, st.st_mtime)
        if stat.S_ISDIR(st.st_mode):
            for name in os.listdir(path):
                n.entries[name] = self.load(os.path.join(path, name))
            n.dentries = dict(n.entries)
        elif stat.S_ISLNK(st.st_mode):
            n.target = os.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            with open(path, 'rb') as f:
                n.data = bytearray(f.read())
            n.ddata = bytes(n.data)
        return n

    def lookup(self, path):
        n = self.root
        for part in path.split('/'):
            if not part:
                continue
            if n.entries is None or part not in n.entries:
                raise FuseOSError(errno.ENOENT if n.entries is not None else errno.ENOTDIR)
            n = n.entries[part]
        return n

    def parent(self, path):
        head, name = os.path.split(path.rstrip('/'))
        p = self.lookup(head or '/')
        if p.entries is None:
            raise FuseOSError(errno.ENOTDIR)
        return p, name

    # ---- the cut ---------------------------------------------------------------------------
    def cut(self):
        """Writes the durable state to the dump folder and goes dead. Caller holds the mutex."""
        if self.dead:
            return
        self.dead = True
        if self.keep_probability > 0:
            self.keep_some(self.root, set())
        os.mkdir(self.dump_dir)
        self.write_out(self.root, self.dump_dir, set())
        print(f'cut {self.written}', flush=True)

    def keep_some(self, n, seen):
        """Some unsynced changes reached the media before the cut (seeded)."""
        if n.ino in seen:
            return
        seen.add(n.ino)
        if n.entries is not None:
            if n.entries != n.dentries and self.rng.random() < self.keep_probability:
                n.dentries = dict(n.entries)
            for c in list(n.entries.values()) + list(n.dentries.values()):
                self.keep_some(c, seen)
        elif n.data is not None and bytes(n.data) != n.ddata and self.rng.random() < self.keep_probability:
            n.ddata = bytes(n.data)

    def write_out(self, n, path, stack):
        if n.entries is not None:
            if n.ino in stack:  # a folder reachable from itself (a half-done move): stop there
                return
            if path != self.dump_dir:
                os.mkdir(path)
            for name, c in sorted(n.dentries.items()):
                self.write_out(c, os.path.join(path, name), stack | {n.ino})
            os.chmod(path, stat.S_IMODE(n.mode))
        elif n.target is not None:
            os.symlink(n.target, path)
        else:
            with open(path, 'wb') as f:
                f.write(n.ddata)
            os.chmod(path, stat.S_IMODE(n.mode))
            os.utime(path, (n.mtime, n.mtime))

    def alive(self):
        if self.dead:
            raise FuseOSError(errno.EIO)

    # ---- FUSE operations ---------------------------------------------------------------------
    def __call__(self, op, *args):
        with self.mutex:
            self.alive()
            return super().__call__(op, *args)

    def getattr(self, path, fh=None):
        n = self.handles[fh] if fh else self.lookup(path)
        size = len(n.data) if n.data is not None else (len(n.target.encode()) if n.target is not None else 4096)
        nlink = 2 + sum(1 for c in n.entries.values() if c.entries is not None) if n.entries is not None else 1
        return {
            'st_ino': n.ino, 'st_mode': n.mode, 'st_nlink': nlink, 'st_size': size,
            'st_uid': os.getuid(), 'st_gid': os.getgid(),
            'st_atime': n.mtime, 'st_mtime': n.mtime, 'st_ctime': n.mtime,
            'st_blocks': (size + 511) // 512, 'st_blksize': 4096,
        }

    def statfs(self, path):
        return {'f_bsize': 4096, 'f_frsize': 4096, 'f_blocks': 1 << 22, 'f_bfree': 1 << 21,
                'f_bavail': 1 << 21, 'f_files': 1 << 20, 'f_ffree': 1 << 19, 'f_namemax': 255}

    def readdir(self, path, fh):
        n = self.lookup(path)
        if n.entries is None:
            raise FuseOSError(errno.ENOTDIR)
        return ['.', '..'] + list(n.entries)

    def readlink(self, path):
        n = self.lookup(path)
        if n.target is None:
            raise FuseOSError(errno.EINVAL)
        return n.target

    def access(self, path, amode):
        self.lookup(path)
        return 0

    def chmod(self, path, mode):
        n = self.lookup(path)
        n.mode = (n.mode & ~0o7777) | (mode & 0o7777)

    def chown(self, path, uid, gid):
        self.lookup(path)

    def utimens(self, path, times=None):
        n = self.lookup(path)
        n.mtime = times[1] if times else time.time()

    def add(self, path, node):
        p, name = self.parent(path)
        if name in p.entries:
            raise FuseOSError(errno.EEXIST)
        p.entries[name] = node
        p.mtime = time.time()

    def mkdir(self, path, mode):
        self.add(path, self.new_node(stat.S_IFDIR | (mode & 0o7777)))

    def symlink(self, target, source):
        n = self.new_node(stat.S_IFLNK | 0o777)
        n.target = source
        self.add(target, n)

    def create(self, path, mode, fi=None):
        n = self.new_node(stat.S_IFREG | (mode & 0o7777))
        self.add(path, n)
        return self.handle(n)

    def handle(self, n):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = n
        return fh

    def open(self, path, flags):
        n = self.lookup(path)
        if n.data is None:
            raise FuseOSError(errno.EISDIR if n.entries is not None else errno.EINVAL)
        if flags & os.O_TRUNC:
            n.data = bytearray()
        return self.handle(n)

    def opendir(self, path):
        n = self.lookup(path)
        if n.entries is None:
            raise FuseOSError(errno.ENOTDIR)
        return self.handle(n)

    def release(self, path, fh):
        self.handles.pop(fh, None)

    def releasedir(self, path, fh):
        self.handles.pop(fh, None)

    def read(self, path, size, offset, fh):
        return bytes(self.handles[fh].data[offset:offset + size])

    def write(self, path, data, offset, fh):
        n = self.handles[fh]
        if self.cut_after is not None and self.written + len(data) >= self.cut_after:
            keep = self.cut_after - self.written
            self.put(n, data[:keep], offset)
            self.written += keep
            self.cut()
            raise FuseOSError(errno.EIO)
        self.put(n, data, offset)
        self.written += len(data)
        return len(data)

    @staticmethod
    def put(n, data, offset):
        if offset > len(n.data):
            n.data.extend(b'\0' * (offset - len(n.data)))
        n.data[offset:offset + len(data)] = data
        n.mtime = time.time()

    def truncate(self, path, length, fh=None):
        n = self.handles[fh] if fh else self.lookup(path)
        if length < len(n.data):
            del n.data[length:]
        else:
            n.data.extend(b'\0' * (length - len(n.data)))

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        n = self.handles[fh]
        if n.data is not None:
            n.ddata = bytes(n.data)
        elif n.entries is not None:
            n.dentries = dict(n.entries)
        return 0

    def fsyncdir(self, path, datasync, fh):
        n = self.handles.get(fh) or self.lookup(path)
        n.dentries = dict(n.entries)
        return 0

    def unlink(self, path):
        p, name = self.parent(path)
        n = p.entries.get(name)
        if n is None:
            raise FuseOSError(errno.ENOENT)
        if n.entries is not None:
            raise FuseOSError(errno.EISDIR)
        del p.entries[name]

    def rmdir(self, path):
        p, name = self.parent(path)
        n = p.entries.get(name)
        if n is None:
            raise FuseOSError(errno.ENOENT)
        if n.entries is None:
            raise FuseOSError(errno.ENOTDIR)
        if n.entries:
            raise FuseOSError(errno.ENOTEMPTY)
        del p.entries[name]

    def rename(self, old, new):
        op, oname = self.parent(old)
        n = op.entries.get(oname)
        if n is None:
            raise FuseOSError(errno.ENOENT)
        np_, nname = self.parent(new)
        existing = np_.entries.get(nname)
        if existing is n:
            return
        if existing is not None:
            if (existing.entries is None) != (n.entries is None):
                raise FuseOSError(errno.EISDIR if existing.entries is not None else errno.ENOTDIR)
            if existing.entries:
                raise FuseOSError(errno.ENOTEMPTY)
        del op.entries[oname]
        np_.entries[nname] = n

    def link(self, target, source):
        raise FuseOSError(errno.EPERM)


def control(fs, mountpoint):
    """stdin commands from the test: `cut`, `stats`. At the end of stdin (the test unmounts
    first; or the test process died) the filesystem unmounts itself, never left behind."""
    for line in sys.stdin:
        cmd = line.strip()
        with fs.mutex:
            if cmd == 'cut':
                fs.cut()
            elif cmd == 'stats':
                print(f'stats {fs.written}', flush=True)
    for _ in range(100):  # the mount may still be on its way: retry for a while
        if subprocess.run(['umount', '-l', mountpoint], stderr=subprocess.DEVNULL, check=False).returncode == 0:
            break
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mountpoint')
    ap.add_argument('--image', required=True)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--cut-after-bytes', type=int)
    ap.add_argument('--keep-probability', type=float, default=0.0)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    fs = PowerCutFS(a.image, a.dump, a.cut_after_bytes, a.keep_probability, a.seed)
    threading.Thread(target=control, args=(fs, os.path.abspath(a.mountpoint)), daemon=True).start()
    FUSE(fs, a.mountpoint, foreground=True, nothreads=True, use_ino=True, big_writes=True,
         max_write=131072, attr_timeout=0, entry_timeout=0, negative_timeout=0)


if __name__ == '__main__':
    main()
