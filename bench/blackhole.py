#!/usr/bin/env python3
"""A webhook receiver for bench/run.sh.

  blackhole.py PORT           accepts every connection, reads what comes, answers nothing and
                              closes nothing: a receiver that never answers
  blackhole.py PORT --answer  answers every request at once with 200 (keep-alive): a healthy one

bench/run.sh points the server's webhook at each to show that a dead receiver does not slow the
API (compared with a healthy one, which costs the same outbox writes)."""
import selectors
import socket
import sys

answer = "--answer" in sys.argv[2:]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

sel = selectors.DefaultSelector()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(1024)
server.setblocking(False)
sel.register(server, selectors.EVENT_READ)
pending = {}  # connection -> bytes read and not yet answered
while True:
    for key, _ in sel.select():
        sock = key.fileobj
        if sock is server:
            conn, _ = server.accept()
            conn.setblocking(False)
            pending[conn] = b""
            sel.register(conn, selectors.EVENT_READ)
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            sel.unregister(sock)
            pending.pop(sock, None)
            sock.close()
            continue
        if not answer:
            continue
        buf = pending[sock] + data
        # Answer each complete request (headers, then Content-Length bytes of body).
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            length = 0
            for line in buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if len(buf) < end + 4 + length:
                break
            buf = buf[end + 4 + length:]
            try:
                sock.sendall(OK)
            except OSError:
                break
        pending[sock] = buf
