#!/usr/bin/env python3
"""The web app's size as served, next to its targets, and what in it is big.

Usage: wasm_profile.py SERVED_WASM NAMED_WASM
  SERVED_WASM  the optimised wasm trunk put into frontend/dist (with .gz and .br beside it)
  NAMED_WASM   the same build optimised the same way but with its name section kept
               (wasm-opt -g), so functions can be told apart
"""
import collections
import os
import re
import sys

TARGETS = {"brotli": 600 * 1000, "gzip": 700 * 1000}  # issue 17


def leb(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def functions(path):
    """(code bytes, name) of every function body in the module."""
    data = open(path, "rb").read()
    at, imported, bodies, names = 8, 0, [], {}
    while at < len(data):
        section, at = data[at], at + 1
        size, at = leb(data, at)
        start = at
        if section == 2:  # imports: function imports shift the function index space
            count, at = leb(data, at)
            for _ in range(count):
                for _ in range(2):
                    length, at = leb(data, at)
                    at += length
                kind, at = data[at], at + 1
                if kind == 0:
                    _, at = leb(data, at)
                    imported += 1
                elif kind == 1:
                    at += 1
                    flags, at = leb(data, at)
                    _, at = leb(data, at)
                    if flags & 1:
                        _, at = leb(data, at)
                elif kind == 2:
                    flags, at = leb(data, at)
                    _, at = leb(data, at)
                    if flags & 1:
                        _, at = leb(data, at)
                elif kind == 3:
                    at += 2
        elif section == 10:
            count, at = leb(data, at)
            for _ in range(count):
                length, body = leb(data, at)
                bodies.append(length + body - at)
                at = body + length
        elif section == 0:
            length, at = leb(data, at)
            if data[at:at + length] == b"name":
                at += length
                while at < start + size:
                    kind, at = data[at], at + 1
                    length, at = leb(data, at)
                    end = at + length
                    if kind == 1:
                        count, at = leb(data, at)
                        for _ in range(count):
                            index, at = leb(data, at)
                            length, at = leb(data, at)
                            names[index] = data[at:at + length].decode("utf-8", "replace")
                            at += length
                    at = end
        at = start + size
    return [(size, names.get(imported + i, f"func[{i}]")) for i, size in enumerate(bodies)]


KINDS = [
    ("Suspend futures (a page's async view)", "ScopedFuture<Fut>"),
    ("serde Deserialize impls", "eserializ"),
    ("route views (ChooseView)", "ChooseView"),
    ("tachys render/build/rebuild", "tachys::"),
    ("the app's component closures", "talentpost_frontend::"),
    ("other reactive_graph", "reactive_graph"),
    ("send_wrapper", "send_wrapper"),
    ("serde_json", "serde_json"),
    ("graphql_ws_client", "graphql_ws_client"),
]


def main():
    served, named = sys.argv[1], sys.argv[2]
    print("web app (wasm as served)")
    print(f"  raw     {os.path.getsize(served):>10,} bytes")
    for encoding, suffix in (("gzip", ".gz"), ("brotli", ".br")):
        size = os.path.getsize(served + suffix)
        verdict = "within" if size <= TARGETS[encoding] else "OVER"
        print(f"  {encoding:<7} {size:>10,} bytes   target {TARGETS[encoding]:,}: {verdict}")
    items = functions(named)
    total = sum(size for size, _ in items)
    print(f"\ncode {total:,} bytes in {len(items):,} functions; the 10 largest:")
    for size, name in sorted(items, reverse=True)[:10]:
        print(f"  {size:>7,}  {re.sub(r'::h[0-9a-f]{16}$', '', name)[:110]}")
    kinds = collections.Counter()
    for size, name in items:
        kind = next((label for label, part in KINDS if part in name), "everything else")
        kinds[kind] += size
    print("\nby kind:")
    for kind, size in kinds.most_common():
        print(f"  {size:>9,}  {100 * size / total:4.1f} %  {kind}")


if __name__ == "__main__":
    main()
