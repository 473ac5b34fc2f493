#!/usr/bin/env python3
"""A receiver that never answers: accepts every connection, reads what comes, answers nothing,
closes nothing. bench/run.sh points the server's webhook at it to show that a dead receiver does
not slow the API. Usage: blackhole.py PORT"""
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(1024)
server.setblocking(False)
sel.register(server, selectors.EVENT_READ)
held = []
while True:
    for key, _ in sel.select():
        if key.fileobj is server:
            conn, _ = server.accept()
            conn.setblocking(False)
            held.append(conn)
            sel.register(conn, selectors.EVENT_READ)
        else:
            try:
                if not key.fileobj.recv(65536):
                    sel.unregister(key.fileobj)
            except OSError:
                sel.unregister(key.fileobj)
