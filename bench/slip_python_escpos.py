"""Encode the demo slip's image to ESC/POS with python-escpos, for comparison with Waystation's
encoder (`cargo bench --bench slip` prints "ESC/POS encoding alone").

Both start from the same finished 1-bit image: `waystation slip --demo --png` writes it, and
this script times python-escpos turning it into a raster print job (GS v 0, the same command
Waystation uses) written to a file, and counts the bytes.

Needs: pip install python-escpos (3.x). Usage, from the repository root:
    target/release/waystation slip --demo --width 384 --png /tmp/slip-384.png
    python3 bench/slip_python_escpos.py /tmp/slip-384.png [RUNS]
"""
import os
import statistics
import sys
import tempfile
import time

from escpos.printer import File
from PIL import Image


def main():
    png = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    times = []
    size = 0
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "job.bin")
        width = Image.open(png).width
        for _ in range(runs):
            printer = File(out)
            # Tell python-escpos the paper's width (as a profile would), which also keeps it
            # from warning on every image.
            printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixel"] = width
            start = time.perf_counter()
            printer.image(png, impl="bitImageRaster", center=False)
            printer.close()
            times.append(time.perf_counter() - start)
            size = os.path.getsize(out)
    times.sort()
    print(f"python-escpos image() of {png}: median {statistics.median(times) * 1e3:.2f} ms "
          f"(p10 {times[len(times) // 10] * 1e3:.2f} ms, p90 {times[len(times) * 9 // 10] * 1e3:.2f} ms), "
          f"{size} bytes, {runs} runs")


if __name__ == "__main__":
    main()
