#!/usr/bin/env python3
"""A lean S3 endpoint for benchmarks only: the two calls `ocp-summary run` makes (ListObjectsV2 and
ranged GetObject), answered from a folder, with the object bytes sent by the kernel (`sendfile`).

Why: on a 2-core machine the S3 server shares the cores with the engine. s3s-fs (the tests' server)
takes about 0.56 s of CPU to serve the L month's 105 MB, and a Python proxy another 0.3 s; against
real S3 that CPU is spent on Amazon's machines. This server spends little CPU, so the S3 figure it
gives is closer to what the engine itself costs. It is not an S3 implementation: no signature is
checked, path-style only, no writes; `bench_s3.py` still reports the s3s-fs figures beside it.

--delay-ms waits that long after each request arrives before answering, as the delay proxy does
(and as a round trip to real S3 adds), without a second process relaying the bytes.

Usage: sendfile_s3.py ROOT PORT [--delay-ms 20] [--log FILE]   (ROOT/BUCKET/KEY is the object BUCKET/KEY)
"""
import argparse, asyncio, os, sys, urllib.parse
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

LIST_LIMIT = 1000


def list_xml(root, bucket, query):
    """ListObjectsV2: keys under `prefix` in order, after `continuation-token` / `start-after`."""
    prefix = query.get("prefix", [""])[0]
    after = query.get("continuation-token", query.get("start-after", [""]))[0]
    limit = min(int(query.get("max-keys", [LIST_LIMIT])[0]), LIST_LIMIT)
    base = root / bucket
    # The deepest folder the prefix names, so a listing walks only below it.
    start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
    keys = []
    for dirpath, _, files in os.walk(start):
        for f in files:
            key = str((Path(dirpath) / f).relative_to(base))
            if key.startswith(prefix) and key > after:
                keys.append(key)
    keys.sort()
    page, truncated = keys[:limit], len(keys) > limit
    items = "".join(
        f"<Contents><Key>{escape(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
        f"<ETag>\"{os.stat(base / k).st_mtime_ns:x}\"</ETag><Size>{os.stat(base / k).st_size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>" for k in page)
    token = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" if truncated else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount>"
            f"<MaxKeys>{limit}</MaxKeys><IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
            f"{items}{token}</ListBucketResult>").encode()


def head(status, length, extra=()):
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {length}", f"Date: {formatdate(usegmt=True)}",
             "Server: sendfile-s3", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def error(status, code):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code></Error>'.encode()
    return head(status, len(body), ["Content-Type: application/xml"]) + body


class Server:
    def __init__(self, root, delay, log):
        self.root, self.delay, self.log = Path(root), delay, log

    async def connection(self, reader, writer):
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    request = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = request.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (l.split(":", 1) for l in lines[1:] if ":" in l)}
                body_len = int(headers.get("content-length", 0))
                if body_len:
                    await reader.readexactly(body_len)
                if self.log:
                    self.log.write(f"{loop.time():.4f} {method} {target} {headers.get('range', '-')}\n")
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self.answer(loop, writer, method, target, headers)
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def answer(self, loop, writer, method, target, headers):
        path, _, query = target.partition("?")
        parts = urllib.parse.unquote(path).lstrip("/").split("/", 1)
        bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
        query = urllib.parse.parse_qs(query, keep_blank_values=True)
        if method == "GET" and not key and query.get("list-type") == ["2"]:
            body = list_xml(self.root, bucket, query)
            writer.write(head("200 OK", len(body), ["Content-Type: application/xml"]) + body)
            return await writer.drain()
        file = self.root / bucket / key
        if method != "GET" or not key or ".." in key.split("/") or not file.is_file():
            writer.write(error("404 Not Found", "NoSuchKey") if method == "GET" else
                         error("501 Not Implemented", "NotImplemented"))
            return await writer.drain()
        await self.send_range(loop, writer, file, headers.get("range"))

    async def send_range(self, loop, writer, file, range_header):
        size = file.stat().st_size
        start, end = 0, size - 1
        if range_header and range_header.startswith("bytes="):
            a, _, b = range_header[6:].partition("-")
            start, end = (size - int(b), size - 1) if a == "" else (int(a), min(int(b or size - 1), size - 1))
        if start > end or start >= size:
            writer.write(error("416 Requested Range Not Satisfiable", "InvalidRange"))
            return await writer.drain()
        n = end - start + 1
        status = "206 Partial Content" if range_header else "200 OK"
        extra = ["Accept-Ranges: bytes", f'ETag: "{file.stat().st_mtime_ns:x}"',
                 "Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT", "Content-Type: application/octet-stream"]
        if range_header:
            extra.append(f"Content-Range: bytes {start}-{end}/{size}")
        writer.write(head(status, n, extra))
        await writer.drain()
        with open(file, "rb") as f:
            await loop.sendfile(writer.transport, f, start, n)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root")
    ap.add_argument("port", type=int)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--log", help="append one line per request: monotonic time, method, target, Range")
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1) if a.log else None
    server = Server(a.root, a.delay_ms / 1000, log)
    srv = await asyncio.start_server(server.connection, "127.0.0.1", a.port, backlog=256)
    print(f"sendfile-s3 on 127.0.0.1:{a.port}, delay {a.delay_ms:g} ms", file=sys.stderr, flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
