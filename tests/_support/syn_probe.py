"""Run inside the sender namespace: open TCP connections from many source addresses at once and
report per (source, port) whether the SYN was answered (accept), refused or dropped (timeout).

Usage: python3 syn_probe.py DST WAIT_SECONDS '[["10.200.1.7", 25], ...]'
(a triple ["10.200.1.7", 25, "10.99.0.3"] names its own destination)
"""

import json
import select
import socket
import sys
import time


def main() -> None:
    dst, wait, pairs = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
    socks = {}
    for index, (src, port, *to) in enumerate(pairs):  # [src, port] or [src, port, dst]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((src, 0))
        s.connect_ex((to[0] if to else dst, port))
        socks[s] = index
    results = ["timeout"] * len(pairs)
    pending = set(socks)
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        _, writable, _ = select.select([], list(pending), [], max(0.0, deadline - time.monotonic()))
        for s in writable:
            error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            results[socks[s]] = "accept" if error == 0 else "refused"
            pending.discard(s)
    for s in socks:
        s.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
