#!/usr/bin/env python3
# Issue 16 experiment, not part of airgap: how small a snapshot's tarball gets if each tar member
# (its pax header, header, data and padding) is its own gzip member. GNU tar, bsdtar and busybox
# tar all extract such a file with `tar -xzf` (concatenated gzip members are one stream), and a
# member can still be read alone from its compressed offset. Incompressible members are counted
# as gzip "stored" blocks (18 bytes + 5 per 64 KiB), as a writer that checks entropy would store
# them.
#
# usage: python3 bench/gzip-members-experiment.py <snapshot>.tar <gzip level 1-9>
import zlib, sys, time
data = open(sys.argv[1], 'rb').read()
lvl = int(sys.argv[2])
off = 0; total = 0; stored_total = 0; members = 0; t = time.process_time()
def gz_len(b):
    c = zlib.compressobj(lvl, zlib.DEFLATED, 31)
    n = len(c.compress(b)) + len(c.flush())
    stored = 18 + len(b) + 5 * ((len(b) + 65534) // 65535 or 1)
    return min(n, stored)
group = b''
while off < len(data):
    h = data[off:off+512]
    if h == b'\0' * 512: break
    size = int(h[124:136].rstrip(b'\0 ') or b'0', 8)
    typ = h[156:157]
    end = off + 512 + ((size + 511) // 512) * 512
    group += data[off:end]; off = end
    if typ in (b'x', b'g', b'L', b'K'): continue  # pax/longname header: goes with the next member
    total += gz_len(group); members += 1; group = b''
rest = len(data) - off
total += gz_len(data[off:])
print(f'level {lvl}: {members} members, tar {len(data)/1e6:.1f} MB -> per-member gzip {total/1e6:.1f} MB ({total/len(data):.3f}); cpu {time.process_time()-t:.1f}s')
