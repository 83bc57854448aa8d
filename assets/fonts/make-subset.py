#!/usr/bin/env python3
"""Rebuild the embedded CJK font subsets from Debian's fonts-noto-cjk package.

The kiosk must never depend on system fonts, so it embeds Noto Sans CJK SC (SIL OFL 1.1).
The full face is about 16 MB; we keep ASCII, the GB2312 symbol rows, GB2312 level 1 (the
3,755 most common hanzi) and every character that appears anywhere under ui/ or assets/
(translations, instruments, data), so text we ship is always covered. The glyph coverage
test in tests/ fails when a string uses a character that this subset lacks: rerun this
script after adding such text.

The kiosk embeds each face xz-compressed (src/fonts.rs unpacks it once at start): the script
writes `<face>.otf.xz` and no uncompressed copy.

Needs: apt-get install fonts-noto-cjk; pip install fonttools.
Run from the repository root: python3 assets/fonts/make-subset.py
"""
import lzma
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "assets" / "fonts"
SOURCES = {
    "NotoSansCJKsc-Regular-subset.otf": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Bold-subset.otf": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}
SC_FACE_INDEX = "2"  # JP, KR, SC, TC, HK: the simplified Chinese face is the third.


def gb2312_rows(first, last):
    chars = set()
    for hi in range(0xA0 + first, 0xA0 + last + 1):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def shipped_text_chars():
    chars = set()
    for folder in ("ui", "assets"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".slint", ".po", ".toml", ".json", ".txt", ".md"}:
                chars.update(path.read_text(encoding="utf-8"))
    return {c for c in chars if ord(c) >= 0x20}


def main():
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= gb2312_rows(1, 9)  # punctuation, full-width forms, symbols
    chars |= gb2312_rows(16, 55)  # level 1 hanzi
    chars |= shipped_text_chars()
    chars |= set("\u00a0\u2014\u2013\u2026\u00b7\u3000")
    text_file = OUT / ".subset-chars.txt"
    text_file.write_text("".join(sorted(chars)), encoding="utf-8")
    for name, source in SOURCES.items():
        subprocess.run(
            [
                sys.executable, "-m", "fontTools.subset", source,
                f"--font-number={SC_FACE_INDEX}",
                f"--text-file={text_file}",
                "--layout-features=*",
                "--no-hinting",
                "--desubroutinize",
                f"--output-file={OUT / name}",
            ],
            check=True,
        )
        face = OUT / name
        packed = lzma.compress(
            face.read_bytes(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
            preset=9 | lzma.PRESET_EXTREME,
        )
        (OUT / (name + ".xz")).write_bytes(packed)
        face.unlink()
    text_file.unlink()
    print(f"{len(chars)} characters kept")


if __name__ == "__main__":
    main()
