"""Replay tokens: a schedule as a short, shell-safe string.

A schedule is the list of thread ids chosen at each decision. Decisions are semantic
(scheduling points come from the program's source, not from bytecode offsets), so a token
replays the same way on every supported Python version. Encoding: runs of the same id as
(id, length) pairs of unsigned LEB128 varints, a CRC-8 so that a mistyped token is
refused rather than replayed wrongly, then base64url without padding, behind the version
prefix ``rl1``.
"""

from __future__ import annotations

import base64
import binascii

from racelab.errors import UsageError

PREFIX = "rl1"


def _varint(n: int, out: bytearray) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _crc8(data: bytes) -> int:
    return binascii.crc32(data) & 0xFF


def encode(choices: list[int]) -> str:
    out = bytearray()
    i = 0
    while i < len(choices):
        j = i
        while j < len(choices) and choices[j] == choices[i]:
            j += 1
        _varint(choices[i], out)
        _varint(j - i, out)
        i = j
    out.append(_crc8(bytes(out)))
    return PREFIX + base64.urlsafe_b64encode(bytes(out)).decode().rstrip("=")


def decode(token: str) -> list[int]:
    token = token.strip()
    if not token.startswith(PREFIX):
        raise UsageError(f"not a racelab replay token: {token!r} (tokens start with {PREFIX!r})")
    body = token[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise UsageError(f"replay token {token!r} is damaged (not base64url)") from None
    if not raw or _crc8(raw[:-1]) != raw[-1]:
        raise UsageError(f"replay token {token!r} is damaged (checksum mismatch); copy it again")
    data = raw[:-1]
    numbers: list[int] = []
    n = shift = 0
    for byte in data:
        n |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            numbers.append(n)
            n = shift = 0
    if shift or len(numbers) % 2:
        raise UsageError(f"replay token {token!r} is damaged (truncated)")
    choices: list[int] = []
    for tid, count in zip(numbers[::2], numbers[1::2]):
        choices.extend([tid] * count)
    return choices
