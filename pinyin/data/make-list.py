#!/usr/bin/env python3
"""Regenerates aosp-rawdict-gb2312.tsv.xz from the Android PinyinIME word list.

Usage: python3 make-list.py path/to/rawdict_utf16_65105_freq.txt

The input is the file as AOSP ships it (UTF-16 with a byte-order mark); README.md in this
folder says where to get it. The script refuses any other file (its sha256 is checked), keeps
the entries whose flag is 0 (the list's own mark for words written in GB2312 characters) in the
list's order, and writes each as `word<TAB>syllables<TAB>frequency`, the syllables separated by
spaces and the frequency exactly as the list spells it. It stops if a kept entry has a
character outside GB2312. Run twice with the same Python and xz library, it writes the same
bytes.
"""

import hashlib
import lzma
import sys
from pathlib import Path

SOURCE_SHA256 = "408700f28a56091fa07f3b849a0f134fbfc71e6b2ae9b3f52973a5b076f599ff"
OUT = Path(__file__).with_name("aosp-rawdict-gb2312.tsv.xz")


def rows(text):
    for number, line in enumerate(text.splitlines(), 1):
        # `word frequency flag syllable syllable…`, separated by single spaces.
        fields = line.split(" ")
        if len(fields) < 4:
            sys.exit(f"line {number} has fewer than four fields: {line!r}")
        word, frequency, flag, syllables = fields[0], fields[1], fields[2], fields[3:]
        if len(syllables) != len(word):
            sys.exit(f"line {number}: {len(word)} characters but {len(syllables)} syllables")
        if flag == "0":
            try:
                word.encode("gb2312")
            except UnicodeEncodeError:
                sys.exit(f"line {number}: flag 0 but {word} is not all GB2312")
            yield f"{word}\t{' '.join(syllables)}\t{frequency}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    raw = Path(sys.argv[1]).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"sha256 {digest}, not the list README.md names ({SOURCE_SHA256})")
    lines = list(rows(raw.decode("utf-16")))
    packed = lzma.compress(
        ("\n".join(lines) + "\n").encode("utf-8"),
        format=lzma.FORMAT_XZ,
        check=lzma.CHECK_CRC64,
        preset=9 | lzma.PRESET_EXTREME,
    )
    OUT.write_bytes(packed)
    print(f"{len(lines)} entries, {len(packed)} bytes -> {OUT.name}")


if __name__ == "__main__":
    main()
