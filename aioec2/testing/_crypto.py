"""
Key material for the fake's key pairs, in pure Python (aioec2 adds no crypto dependency).

CreateKeyPair returns a real private key: RSA as a PKCS#1 PEM (``BEGIN RSA PRIVATE KEY``),
Ed25519 in OpenSSH's format. Fingerprints are computed as EC2 documents them
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_KeyPairInfo.html):

* created RSA key: SHA-1 of the DER-encoded PKCS#8 private key, colon-separated hex;
* imported RSA key: MD5 of the DER-encoded public key (SubjectPublicKeyInfo), colon-separated;
* Ed25519 key, created or imported: base64 of the SHA-256 of the OpenSSH public key blob.

The keys come from the fake's seeded generator so that a run replays: they are test
fixtures, never secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import struct

__all__ = ["generate_ed25519", "generate_rsa", "parse_public_key"]

_E = 65537
_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1, rsaEncryption
_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p**0.5) + 1, 2))]


# -- DER and SSH wire encodings ------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _der_seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _ssh_mpint(value: int) -> bytes:
    return _ssh_string(value.to_bytes(value.bit_length() // 8 + 1, "big") if value else b"")


def _colons(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def _pem(label: str, der: bytes, width: int = 64) -> str:
    text = base64.b64encode(der).decode()
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


# -- RSA -----------------------------------------------------------------------------------


def _probable_prime(n: int, rng: random.Random, rounds: int = 24) -> bool:
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):  # Miller-Rabin
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        # The two top bits set keep p*q exactly 2*bits long.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if candidate % _E != 1 and _probable_prime(candidate, rng):
            return candidate


def generate_rsa(rng: random.Random, bits: int = 2048) -> tuple[str, str, str]:
    """
    Generate an RSA key pair.

    Returns:
        The PKCS#1 private key PEM, its EC2 fingerprint (SHA-1 of the PKCS#8 DER) and the
        OpenSSH public key blob, base64-encoded.
    """
    while True:
        p, q = _prime(bits // 2, rng), _prime(bits - bits // 2, rng)
        if p != q:
            break
    n = p * q
    d = pow(_E, -1, (p - 1) * (q - 1))
    pkcs1 = _der_seq(*map(_der_int, (0, n, _E, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    pkcs8 = _der_seq(_der_int(0), _der_seq(_RSA_OID, b"\x05\x00"), _der(0x04, pkcs1))
    blob = _ssh_string(b"ssh-rsa") + _ssh_mpint(_E) + _ssh_mpint(n)
    fingerprint = _colons(hashlib.sha1(pkcs8).digest())  # noqa: S324 - EC2's own choice of hash
    return _pem("RSA PRIVATE KEY", pkcs1), fingerprint, base64.b64encode(blob).decode()


def _rsa_spki(e: int, n: int) -> bytes:
    key = _der_seq(_der_int(n), _der_int(e))
    return _der_seq(_der_seq(_RSA_OID, b"\x05\x00"), _der(0x03, b"\x00" + key))


# -- Ed25519 (RFC 8032, section 5.1) -------------------------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, -1, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)


def _recover_x(y: int, sign: int) -> int:
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a: _Point, b: _Point) -> _Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


_GY = 4 * pow(5, -1, _P) % _P
_GX = _recover_x(_GY, 0)
_G: _Point = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(point: _Point) -> bytes:
    x, y, z, _t = point
    zinv = pow(z, -1, _P)
    x, y = x * zinv % _P, y * zinv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _ed25519_fingerprint(blob: bytes) -> str:
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def generate_ed25519(rng: random.Random, comment: str) -> tuple[str, str, str]:
    """
    Generate an Ed25519 key pair.

    Returns:
        The private key in OpenSSH's PEM-like format, its EC2 fingerprint and the OpenSSH
        public key blob, base64-encoded.
    """
    seed = rng.getrandbits(256).to_bytes(32, "big")
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    public = _compress(_multiply(scalar, _G))
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(public)
    check = struct.pack(">I", rng.getrandbits(32)) * 2
    private = check + blob + _ssh_string(seed + public) + _ssh_string(comment.encode())
    private += bytes(range(1, 1 + (-len(private) % 8)))  # pad to the 8-byte block size
    body = (
        b"openssh-key-v1\x00"
        + _ssh_string(b"none")
        + _ssh_string(b"none")
        + _ssh_string(b"")
        + struct.pack(">I", 1)
        + _ssh_string(blob)
        + _ssh_string(private)
    )
    pem = _pem("OPENSSH PRIVATE KEY", body, width=70)
    return pem, _ed25519_fingerprint(blob), base64.b64encode(blob).decode()


# -- ImportKeyPair -------------------------------------------------------------------------


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(data):
        raise ValueError("truncated key blob")
    (size,) = struct.unpack_from(">I", data, offset)
    end = offset + 4 + size
    if end > len(data):
        raise ValueError("truncated key blob")
    return data[offset + 4 : end], end


def parse_public_key(text: str) -> tuple[str, str, str]:
    """
    Read an OpenSSH (``ssh-rsa AAAA… comment``) or RFC 4716 public key, as ImportKeyPair does.

    Returns:
        The key type (``"rsa"`` or ``"ed25519"``), its EC2 fingerprint and the key as one
        OpenSSH line.

    Raises:
        ValueError: the text is not such a key.
    """
    text = text.strip()
    if text.startswith("---- BEGIN SSH2 PUBLIC KEY ----"):
        lines = [line.strip() for line in text.splitlines()[1:]]
        body = [ln for ln in lines if ln and not ln.startswith("----") and ":" not in ln]
        name, encoded = None, "".join(body)
    else:
        parts = text.split()
        if len(parts) < 2:
            raise ValueError("not an OpenSSH public key")
        name, encoded = parts[0], parts[1]
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("the key is not valid base64") from None
    kind, offset = _read_string(blob, 0)
    if name is not None and name.encode() != kind:
        raise ValueError("the key type does not match its blob")
    line = f"{kind.decode(errors='replace')} {base64.b64encode(blob).decode()}"
    if kind == b"ssh-rsa":
        e_bytes, offset = _read_string(blob, offset)
        n_bytes, offset = _read_string(blob, offset)
        e, n = int.from_bytes(e_bytes, "big"), int.from_bytes(n_bytes, "big")
        if offset != len(blob) or e < 3 or n.bit_length() < 1024:
            raise ValueError("not a usable RSA key")
        return "rsa", _colons(hashlib.md5(_rsa_spki(e, n)).digest()), line  # noqa: S324
    if kind == b"ssh-ed25519":
        key, offset = _read_string(blob, offset)
        if len(key) != 32 or offset != len(blob):
            raise ValueError("not an Ed25519 key")
        return "ed25519", _ed25519_fingerprint(blob), line
    raise ValueError(f"unsupported key type {kind!r}")
