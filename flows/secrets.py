"""The secret that keys the NIK hash: from the environment or a key file made once."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

NIK_KEY_ENV = "JAMSOS_NIK_KEY"
KEY_FILE_MODE = 0o600


class NikKeyError(RuntimeError):
    """The NIK key cannot be read or is unsafe."""


def load_nik_key(key_file: Path, environ: dict[str, str] | os._Environ[str] | None = None) -> bytes:
    """Return the NIK hash key, creating the key file (owner-only) on first use."""
    environ = os.environ if environ is None else environ
    from_environment = environ.get(NIK_KEY_ENV, "").strip()
    if from_environment:
        if len(from_environment) < 16:
            raise NikKeyError(f"{NIK_KEY_ENV} is too short: use at least 16 characters")
        return from_environment.encode()
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    mode = key_file.stat().st_mode & 0o777
    if mode & 0o077:
        raise NikKeyError(
            f"{key_file} can be read by other users (mode {mode:o}); run chmod 600 on it"
        )
    key = key_file.read_text(encoding="utf-8").strip()
    if len(key) < 16:
        raise NikKeyError(f"{key_file} holds no usable key; delete it to create a new one")
    return key.encode()


def key_fingerprint(key: bytes) -> str:
    """Return a short fingerprint that tells keys apart without revealing them."""
    return hashlib.sha256(b"jamsos-key-fingerprint:" + key).hexdigest()[:16]
