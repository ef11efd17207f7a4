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
warning naming it "encrypted (passphrase needed)". ``Host`` blocks of ``~/.ssh/config`` that use
the key as ``IdentityFile`` become its profile (and ``HostName`` its host). The secret is the
whole block, as the detectors' ``private-key`` rule captures it, so the same key found in a
workspace is one credential.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct

from scanner.sources.base import SkipReason, decode, read_regular_file
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


_CONFIG_MAX = 256 * 1024
_CONFIG_LINE = re.compile(r"^\s*(?P<key>[A-Za-z]+)\s*(?:=\s*|\s+)(?P<value>.*?)\s*$")


def _ssh_dir(path: str) -> str | None:
    directory = os.path.dirname(path)
    for candidate_dir in (directory, os.path.dirname(directory)):
        if os.path.basename(candidate_dir) == ".ssh":
            return candidate_dir
    return None


def hosts_using(key_path: str) -> tuple[list[str], list[str]]:
    """(Host aliases, HostNames) of ``~/.ssh/config`` blocks whose ``IdentityFile`` is this key.

    Only the user's own config is read (bounded, never ``Include``d files); a name such as
    ``prod-bastion`` then tells the policy what the key reaches, even offline.
    """
    ssh_dir = _ssh_dir(key_path)
    if ssh_dir is None:
        return [], []
    data = read_regular_file(os.path.join(ssh_dir, "config"), _CONFIG_MAX)
    if isinstance(data, SkipReason):
        return [], []
    text, _ = decode(data)
    home = os.path.dirname(ssh_dir)
    target = os.path.normpath(key_path)
    aliases: list[str] = []
    hostnames: list[str] = []
    block: list[str] = []
    block_hostname = ""
    block_uses_key = False

    def close() -> None:
        if block_uses_key:
            aliases.extend(h for h in block if h not in aliases and h != "*")
            if block_hostname and block_hostname not in hostnames:
                hostnames.append(block_hostname)

    for line in text.split("\n"):
        match = _CONFIG_LINE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        key, value = match.group("key").lower(), match.group("value").strip('"')
        if key in ("host", "match"):
            close()
            block = value.split() if key == "host" else []
            block_hostname, block_uses_key = "", False
        elif key == "hostname":
            block_hostname = value
        elif key == "identityfile":
            expanded = home + value[1:] if value.startswith("~/") else value
            # A relative IdentityFile depends on ssh's working directory: home or ~/.ssh both count.
            options = [expanded] if os.path.isabs(expanded) else [os.path.join(home, expanded),
                                                                   os.path.join(ssh_dir, expanded)]
            block_uses_key = block_uses_key or any(os.path.normpath(o) == target for o in options)
    close()
    return aliases[:5], hostnames[:5]


def parse_private_key(store_file: StoreFile) -> None:
    aliases, hostnames = hosts_using(store_file.path)
    profile = ", ".join(aliases) or None
    companions = {"host": ", ".join(hostnames)}
    found = False
    for match in _BLOCK.finditer(store_file.text):
        found = True
        label, body = match.group("label"), match.group("body")
        encrypted, basis = encryption(label, body)
        position = store_file.position(match.start())
        if encrypted:
            store_file.emit(ENCRYPTED_PROVIDER, ENCRYPTED_KIND, match.group(0), position, profile=profile,
                            companions=companions)
            store_file.warn(f"private key {ENCRYPTED_NOTE} ({basis}); reported as lower risk")
        else:
            store_file.emit(PROVIDER, KIND, match.group(0), position, profile=profile, companions=companions)
            if basis == "openssh-key-v1 header not readable":
                store_file.warn("OpenSSH private key whose header does not decode; reported as unencrypted")
    if not found and "PRIVATE KEY-----" in store_file.text[:200]:
        store_file.warn("private key header without a complete key block; not reported")
