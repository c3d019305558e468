"""Key material: hashing of API keys and passwords, encryption of contact data at rest.

API keys look like ``sm_<key id>_<secret>``. The id finds the row; the secret is checked against an
argon2id hash. argon2 is deliberately slow (tens of milliseconds), so a verified (id, secret) pair
is remembered in memory by its SHA-256: the store keeps only the hash, and the revocation check
still reads the row on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from shopmind.errors import AuthenticationError

_hasher = PasswordHasher()
_KEY = re.compile(r"^sm_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,})$")


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (key id, full key to hand to the user once, argon2 hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return key_id, f"sm_{key_id}_{secret}", _hasher.hash(secret)


def parse_api_key(full_key: str) -> tuple[str, str]:
    """Split a presented key into (key id, secret), or raise a clear authentication error."""
    m = _KEY.match(full_key.strip())
    if not m:
        raise AuthenticationError(
            "That is not a shopmind API key (expected sm_<id>_<secret>). Create one with `shopmind keys create`."
        )
    return m.group(1), m.group(2)


class VerifiedCache:
    """Remembers which (key id, stored hash, secret digest) triples argon2 already accepted."""

    def __init__(self, size: int = 4096) -> None:
        self._ok: dict[tuple[str, str, bytes], None] = {}
        self._size = size
        self._lock = threading.Lock()

    def verify(self, key_id: str, stored_hash: str, secret: str) -> bool:
        token = (key_id, stored_hash, hashlib.sha256(secret.encode()).digest())
        if token in self._ok:
            return True
        if not verify_hash(stored_hash, secret):
            return False
        with self._lock:
            if len(self._ok) >= self._size:
                self._ok.clear()
            self._ok[token] = None
        return True


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_hash(stored_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def load_or_create_secret(data_dir: Path, configured: str) -> str:
    """The installation secret: the configured one, else one generated once into data_dir."""
    if configured:
        return configured
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return value


class ContactCipher:
    """Encrypts email and phone at rest (Fernet: AES-128-CBC + HMAC) and makes keyed blind indexes
    (HMAC-SHA256 of the normalized value) so contacts can be matched without decrypting."""

    def __init__(self, secret: str) -> None:
        root = hashlib.sha256(("shopmind-contact:" + secret).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(root))
        self._index_key = hashlib.sha256(("shopmind-index:" + secret).encode()).digest()

    def encrypt(self, value: str | None) -> bytes | None:
        return None if value is None or value == "" else self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            return None  # encrypted with another installation's secret

    def blind_index(self, value: str | None, kind: str) -> str | None:
        norm = normalize_contact(value, kind)
        if not norm:
            return None
        return hmac.new(self._index_key, norm.encode(), hashlib.sha256).hexdigest()


def normalize_contact(value: str | None, kind: str) -> str | None:
    """Normalize as ad platforms' customer-match uploads expect: trimmed lowercase email; phone as
    digits with country code (a number written with + or 00 keeps its own; a bare 11-digit number
    starting with 1 is a Chinese mobile and gets 86)."""
    if value is None:
        return None
    if kind == "email":
        return value.strip().lower() or None
    raw = value.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        return digits or None  # already international: +1 415 ... is not a Chinese mobile
    if raw.startswith("00"):
        return digits[2:] or None
    if len(digits) == 11 and digits.startswith("1"):
        digits = "86" + digits
    return digits or None


def mask_contact(value: str | None, kind: str) -> str | None:
    """What an analyst sees: enough to recognise, not enough to contact."""
    if not value:
        return None
    if kind == "email" and "@" in value:
        name, domain = value.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return f"{value[:3]}****{value[-2:]}" if len(value) > 5 else "****"
