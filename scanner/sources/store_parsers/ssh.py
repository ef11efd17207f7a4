"""Private keys in ``~/.ssh``: any file there that holds a PEM/OpenSSH ``PRIVATE KEY`` block.

Formats:

- OpenSSH (``-----BEGIN OPENSSH PRIVATE KEY-----``, openssh ``PROTOCOL.key``): the base64 body is
  ``"openssh-key-v1\\0"`` then string ciphername, string kdfname (``none`` or ``bcrypt``), ...; a
  cipher other than ``none`` means the key needs its passphrase.
- PEM (RFC 1421 headers, OpenSSL traditional format): ``Proc-Type: 4,ENCRYPTED`` with a
  ``DEK-Info`` line marks an encrypted key.
- PKCS#8 (RFC 5958): ``-----BEGIN ENCRYPTED PRIVATE KEY-----`` is encrypted,
  ``-----BEGIN PRIVATE KEY-----`` is not.

An unencrypted key is reported as provider ``ssh``, kind ``ssh_private_key`` (a known kind
without a provider check, so the policy gives it "medium": anyone who reads the file can use it).
An encrypted key is reported as the generic kind ``private_key_encrypted`` (policy: "low"), with a
warning naming it "encrypted (passphrase needed)". The secret is the whole block, as the detectors'
``private-key`` rule captures it, so the same key found in a workspace is one credential.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct

from scanner.sources.store_parsers._common import StoreFile

PROVIDER = "ssh"
KIND = "ssh_private_key"
ENCRYPTED_PROVIDER = "generic"
ENCRYPTED_KIND = "private_key_encrypted"
ENCRYPTED_NOTE = "encrypted (passphrase needed)"

_BLOCK = re.compile(
    r"-----BEGIN (?P<label>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----"
    r"(?P<body>[\s\S]{20,16000}?)-----END (?P=label)-----")
_OPENSSH_MAGIC = b"openssh-key-v1\x00"

# Files in ~/.ssh that are never private keys (and may be large or binary): not even opened.
_NOT_KEYS = ("known_hosts", "authorized_keys", "config", "environment", "rc")


def candidate(path: str) -> bool:
    """Whether a file in ``~/.ssh`` is worth opening: a regular file, not a public key or config."""
    name = os.path.basename(path)
    if name.endswith(".pub") or name.startswith(_NOT_KEYS) or name.startswith("."):
        return False
    try:
        return os.path.isfile(path)  # sockets (ControlPath), FIFOs, directories: skipped quietly
    except (OSError, ValueError):
        return False


def _openssh_cipher(body: str) -> tuple[str, str] | None:
    """(ciphername, kdfname) of an openssh-key-v1 blob, or None when it does not decode."""
    compact = "".join(body.split())
    try:
        blob = base64.b64decode(compact[:4096] + "=" * (-len(compact[:4096]) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not blob.startswith(_OPENSSH_MAGIC):
        return None
    fields: list[str] = []
    at = len(_OPENSSH_MAGIC)
    for _ in range(2):
        if at + 4 > len(blob):
            return None
        (length,) = struct.unpack(">I", blob[at:at + 4])
        at += 4
        if length > 64 or at + length > len(blob):
            return None
        fields.append(blob[at:at + length].decode("ascii", "replace"))
        at += length
    return fields[0], fields[1]


def encryption(label: str, body: str) -> tuple[bool, str]:
    """(encrypted, how we know) for one key block."""
    if label == "ENCRYPTED PRIVATE KEY":
        return True, "PKCS#8 EncryptedPrivateKeyInfo"
    if label == "OPENSSH PRIVATE KEY":
        found = _openssh_cipher(body)
        if found is None:
            return False, "openssh-key-v1 header not readable"
        cipher, kdf = found
        if cipher != "none" or kdf != "none":
            return True, f"cipher {cipher}, kdf {kdf}"
        return False, "cipher none"
    head = body[:400]
    if re.search(r"(?m)^\s*Proc-Type:\s*4\s*,\s*ENCRYPTED\s*$", head):
        return True, "PEM Proc-Type 4,ENCRYPTED"
    return False, "no encryption header"


def parse_private_key(store_file: StoreFile) -> None:
    found = False
    for match in _BLOCK.finditer(store_file.text):
        found = True
        label, body = match.group("label"), match.group("body")
        encrypted, basis = encryption(label, body)
        position = store_file.position(match.start())
        if encrypted:
            store_file.emit(ENCRYPTED_PROVIDER, ENCRYPTED_KIND, match.group(0), position)
            store_file.warn(f"private key {ENCRYPTED_NOTE} ({basis}); reported as lower risk")
        else:
            store_file.emit(PROVIDER, KIND, match.group(0), position)
            if basis == "openssh-key-v1 header not readable":
                store_file.warn("OpenSSH private key whose header does not decode; reported as unencrypted")
    if not found and "PRIVATE KEY-----" in store_file.text[:200]:
        store_file.warn("private key header without a complete key block; not reported")
