#!/usr/bin/env python3
"""A hostile and a careful NBD client in one, for tests/cli/serve.test.sh: talks raw bytes to
`lifeboat serve` over a Unix socket and checks each answer. Usage: nbd_hostile.py SOCKET SIZE
Exit 0 when the server answered everything as the protocol says and survived."""
import socket, struct, sys, time

SOCK, SIZE = sys.argv[1], int(sys.argv[2])
NBDMAGIC, IHAVEOPT, REPLY = 0x4e42444d41474943, 0x49484156454F5054, 0x3e889045565a9
ERR_UNSUP, ERR_INVALID = 0x80000001, 0x80000003

def fail(msg):
    print("FAIL:", msg); sys.exit(1)

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(SOCK)
    return s

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

def closed(s):
    """True when the server has closed the connection (reads EOF, or a reset)."""
    try:
        s.settimeout(10)
        while True:
            c = s.recv(65536)
            if not c:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

def hello(s, flags=3):
    m, o, hf = struct.unpack(">QQH", recvn(s, 18))
    if m != NBDMAGIC or o != IHAVEOPT or not hf & 1:
        fail("bad greeting")
    s.sendall(struct.pack(">I", flags))

def opt(s, o, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, o, len(data)) + data)

def reply(s):
    m, o, t, n = struct.unpack(">QIII", recvn(s, 20))
    if m != REPLY:
        fail("bad option reply magic")
    return o, t, recvn(s, n)

def go(s, structured=True, meta=True):
    if structured:
        opt(s, 8)
        if reply(s)[1] != 1:
            fail("structured reply refused")
    if meta:
        q = b"base:allocation"
        opt(s, 10, struct.pack(">I", 0) + struct.pack(">I", 1) + struct.pack(">I", len(q)) + q)
        o, t, d = reply(s)
        if t != 4 or d[4:] != q:
            fail("SET_META_CONTEXT did not select base:allocation: %r" % ((t, d),))
        if reply(s)[1] != 1:
            fail("SET_META_CONTEXT: no ACK")
    opt(s, 7, struct.pack(">I", 0) + struct.pack(">H", 0))
    size = None
    while True:
        o, t, d = reply(s)
        if t == 3 and struct.unpack(">H", d[:2])[0] == 0:
            size, flags = struct.unpack(">QH", d[2:12])
        elif t == 1:
            break
        else:
            fail("GO: unexpected reply %x" % t)
    if size != SIZE:
        fail("GO: size %s, wanted %d" % (size, SIZE))
    return flags

def req(s, typ, off, length, cookie=7, flags=0, payload=b""):
    s.sendall(struct.pack(">IHHQQI", 0x25609513, flags, typ, cookie, off, length) + payload)

def simple_reply(s):
    m, err, cookie = struct.unpack(">IIQ", recvn(s, 16))
    if m != 0x67446698:
        fail("not a simple reply: %x" % m)
    return err, cookie

def structured(s):
    """Reads one structured reply to its DONE chunk: (error or 0, data chunks, holes)."""
    err, data, holes = 0, [], []
    while True:
        m, fl, typ, cookie, n = struct.unpack(">IHHQI", recvn(s, 20))
        if m != 0x668e33ef:
            fail("not a structured reply: %x" % m)
        body = recvn(s, n)
        if typ == 1:
            data.append((struct.unpack(">Q", body[:8])[0], body[8:]))
        elif typ == 2:
            holes.append(struct.unpack(">QI", body))
        elif typ == 5:
            data.append(("status", body))
        elif typ & 0x8000:
            err = struct.unpack(">I", body[:4])[0]
        if fl & 1:
            return err, data, holes

# 1. garbage instead of client flags and options: dropped, nothing else
s = conn(); recvn(s, 18); s.sendall(b"\xff" * 64)
if not closed(s): fail("garbage client flags: not dropped")
s = conn(); hello(s); s.sendall(b"GARBAGE!" * 4)
if not closed(s): fail("bad option magic: not dropped")
# 2. a huge option length: dropped without waiting for 4 GiB
s = conn(); hello(s); s.sendall(struct.pack(">QII", IHAVEOPT, 7, 0xffffffff))
if not closed(s): fail("huge option length: not dropped")
# 3. haggling: unknown options, malformed ones, LIST, INFO, meta contexts before structured
s = conn(); hello(s)
for o in (5, 11, 99, 0x7fffffff):
    opt(s, o, b"junk")
    if reply(s)[1] != ERR_UNSUP: fail("option %d: not ERR_UNSUP" % o)
for o, d in ((6, b""), (6, b"\xff\xff\xff\xff\0\0"), (7, struct.pack(">I", 3) + b"ab"),
             (6, struct.pack(">I", 0) + struct.pack(">H", 9)), (3, b"x"), (8, b"x"),
             (9, struct.pack(">I", 0) + struct.pack(">I", 5) + b"\0\0\0\xffq"),
             (10, struct.pack(">II", 0, 0))):
    opt(s, o, d)
    if reply(s)[1] != ERR_INVALID: fail("malformed option %d %r: not ERR_INVALID" % (o, d))
opt(s, 3)
o, t, d = reply(s)
if t != 2: fail("LIST: no SERVER reply")
if reply(s)[1] != 1: fail("LIST: no ACK")
opt(s, 9, struct.pack(">II", 0, 0))      # LIST_META_CONTEXT, every context
o, t, d = reply(s)
if t != 4 or d[4:] != b"base:allocation": fail("LIST_META_CONTEXT: %r" % d)
reply(s)
opt(s, 6, struct.pack(">I", 4) + b"name" + struct.pack(">HHH", 2, 1, 3))   # INFO
got = set()
while True:
    o, t, d = reply(s)
    if t == 1: break
    got.add(struct.unpack(">H", d[:2])[0])
if got != {0, 1, 3}: fail("INFO answered %r" % got)
opt(s, 2)                                  # ABORT
if reply(s)[1] != 1: fail("ABORT: no ACK")
if not closed(s): fail("ABORT: not closed")

# 4. transmission, structured: reads in and out of bounds, huge, zero-length, writes refused
s = conn(); hello(s)
flags = go(s)
if not flags & 2: fail("not read-only")
req(s, 0, 0, 4096)
e, data, holes = structured(s)
if e or sum(len(d) for _, d in data) + sum(h[1] for h in holes) != 4096: fail("read at 0")
for off, ln, want in ((SIZE - 512, 1024, 22), (SIZE, 1, 22), (2**64 - 512, 1024, 22),
                      (0, 64 << 20, 75), (0, 0xffffffff, 75), (0, 0, 22)):
    req(s, 0, off, ln)
    e, _, _ = structured(s)
    if e != want: fail("read (%d, %d): error %d, wanted %d" % (off, ln, e, want))
req(s, 1, 0, 4096, payload=b"\xab" * 4096)     # WRITE on a read-only export: EPERM
if simple_reply(s)[0] != 1: fail("write: not EPERM")
for t in (4, 6):                               # TRIM, WRITE_ZEROES
    req(s, t, 0, 4096)
    if simple_reply(s)[0] != 1: fail("cmd %d: not EPERM" % t)
req(s, 3, 0, 0)
if simple_reply(s)[0] != 0: fail("flush failed")
req(s, 7, 0, SIZE if SIZE < 2**32 else 2**32 - 4096)   # BLOCK_STATUS
e, data, _ = structured(s)
if e or not data: fail("block status")
req(s, 5, 0, 4096)                             # CACHE: not offered
if simple_reply(s)[0] != 22: fail("cache: not EINVAL")
req(s, 0, 0, 4096, cookie=99)                  # still fine after all that
e, data, holes = structured(s)
if e: fail("read after errors")
s.sendall(b"\0" * 28)                          # a request with a bad magic: dropped
if not closed(s): fail("bad request magic: not dropped")

# 5. simple replies (no structured reply negotiated)
s = conn(); hello(s); go(s, structured=False, meta=False)
req(s, 0, SIZE - 100, 4096)
if simple_reply(s)[0] != 22: fail("simple read past the end: not EINVAL")
req(s, 0, 0, 40 << 20)
if simple_reply(s)[0] != 22: fail("simple read of 40 MiB: not EINVAL")
req(s, 7, 0, 4096)
if simple_reply(s)[0] != 22: fail("block status without a context: not EINVAL")
req(s, 0, 0, 65536)
e, _ = simple_reply(s)
if e or len(recvn(s, 65536)) != 65536: fail("simple read")
req(s, 2, 0, 0)                                # DISC
if not closed(s): fail("DISC: not closed")

# 6. clients that vanish: mid-haggle, mid-request, mid-reply (32 MiB read, then gone)
s = conn(); recvn(s, 18); s.close()
s = conn(); hello(s); s.sendall(struct.pack(">QII", IHAVEOPT, 7, 100) + b"abc"); s.close()
s = conn(); hello(s); go(s); s.sendall(struct.pack(">IHHQ", 0x25609513, 0, 0, 1)); s.close()
for _ in range(3):
    s = conn(); hello(s); go(s)
    for c in range(8):
        req(s, 0, 0, 32 << 20, cookie=c)
    recvn(s, 1000)
    s.close()
s = conn(); hello(s, flags=1); go(s, structured=False, meta=False)   # old-style zeroes
s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 1, 1, 0, 1 << 30))   # a 1 GiB write: dropped
if not closed(s): fail("1 GiB write: not dropped")

# 7. at most 16 clients at once: the 17th is refused (closed before the greeting); a place
# that frees up is taken again
time.sleep(0.5)                                # the threads of the clients above end
held = []
for _ in range(16):
    s = conn(); hello(s); go(s); held.append(s)
s = conn()
try:
    if s.recv(18):
        fail("a 17th client was served")
except ConnectionResetError:
    pass
held.pop().close()
time.sleep(0.5)
s = conn(); hello(s); go(s); held.append(s)
for s in held:
    s.close()
time.sleep(0.5)

# 8. and it still serves
s = conn(); hello(s); go(s)
req(s, 0, 0, 1 << 20)
e, data, holes = structured(s)
if e or sum(len(d) for _, d in data) + sum(h[1] for h in holes) != 1 << 20: fail("final read")
req(s, 2, 0, 0)
print("hostile client: all answers as expected")
