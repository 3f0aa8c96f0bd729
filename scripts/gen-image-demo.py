#!/usr/bin/env python3
"""Writes the small original charts of suites/image-demo/ (PNG, RGB, 8 bits).
The committed files are the reference; with the same zlib this script gives
them back byte for byte (another zlib may compress the same pixels to other
bytes). Run from the source root:

    python3 scripts/gen-image-demo.py suites/image-demo
"""
import os
import struct
import sys
import zlib

W, H = 96, 64
COLOURS = {
    "red": (220, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 220),
    "yellow": (230, 200, 30), "black": (20, 20, 20), "white": (255, 255, 255),
    "grey": (200, 200, 200),
}


def png(pixels):
    """pixels: H rows of W (r, g, b) tuples -> PNG bytes (no filter, fixed zlib level)."""
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def canvas():
    rows = [[COLOURS["white"]] * W for _ in range(H)]
    for x in range(4, W - 4):          # x axis
        rows[H - 6][x] = COLOURS["black"]
    for y in range(4, H - 5):          # y axis
        rows[y][6] = COLOURS["black"]
    return rows


def bars(spec):
    """spec: [(colour, height 0..50)], drawn left to right."""
    rows = canvas()
    for i, (colour, h) in enumerate(spec):
        x0 = 12 + i * 20
        for y in range(H - 6 - h, H - 6):
            for x in range(x0, x0 + 12):
                rows[y][x] = COLOURS[colour]
    return rows


def line(points, colour):
    """points: y values (0..50) at evenly spaced x; joined by straight segments."""
    rows = canvas()
    step = (W - 20) / (len(points) - 1)
    for i in range(len(points) - 1):
        xa, xb = 10 + i * step, 10 + (i + 1) * step
        for k in range(101):
            x = int(xa + (xb - xa) * k / 100)
            y = H - 7 - int(points[i] + (points[i + 1] - points[i]) * k / 100)
            for dy in (0, 1):
                rows[y + dy][x] = COLOURS[colour]
    return rows


CHARTS = {
    "bars-tallest.png": bars([("red", 20), ("green", 44), ("blue", 30), ("yellow", 12)]),
    "bars-shortest.png": bars([("red", 36), ("green", 28), ("blue", 8), ("yellow", 40)]),
    "bars-equal.png": bars([("red", 25), ("green", 25), ("blue", 40), ("yellow", 25)]),
    "line-rising.png": line([4, 12, 20, 31, 45], "blue"),
    "line-falling.png": line([46, 38, 25, 14, 5], "red"),
    "line-peak.png": line([6, 22, 44, 20, 8], "green"),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "suites/image-demo"
    os.makedirs(out, exist_ok=True)
    for name, rows in sorted(CHARTS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(png(rows))


if __name__ == "__main__":
    main()
