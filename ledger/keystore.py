"""Signers' keys: one sealed PKCS#12 per signer under <data_dir>/keys, a demo CA, and the trust list.

    keys/ca/root.pem              demo CA certificate (public; trusted while it exists)
    keys/ca/root.sealed           demo CA key + certificate (PKCS#12), sealed with the demo CA passphrase
    keys/signers/<user>.sealed    the signer's PKCS#12 (encrypted with their password), sealed again (below)
    keys/signers/<user>.pem       the signer's certificate (public: shown without asking for a password)
    keys/signers/history/<user>/<replaced at>-<sha256>.pem   each certificate the signer held before (public)
    keys/trust/*.pem|*.crt|*.cer  roots the administrator trusts (e.g. the national Root CA)

Why a second seal around the PKCS#12: a PKCS#12 MAC is keyed with ~2048 iterations of the PKCS#12 KDF,
whatever the PBES2 rounds, so a copied file is a cheap password oracle. The seal (argon2id + AES-256-GCM,
the user id as associated data) makes every guess cost memory and time, and stops a file from being
swapped onto another account. The inner PKCS#12 stays standard so an imported one is kept byte for byte.
Nothing here writes a private key unencrypted; unsealed bytes live only in memory.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import json
import logging
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import N_
from core.text import nfc
from ledger import certhistory

log = logging.getLogger(__name__)

WRONG_PASSWORD = N_("Mật khẩu chữ ký số không đúng.")
# Demo only: the demo CA is a toy whose passphrase is public; a deployment imports certificates from a real CA.
DEMO_CA_PASSPHRASE = "ecabinet-demo-ca"
DEMO_ORG = "Văn phòng Chính phủ (demo)"
# Readers disagree on which EKU means "sign documents": RFC 9336 documentSigning, Adobe Authentic Documents
# Trust, Microsoft Document Signing. Listing all three keeps Acrobat, Foxit and validators happy.
DOCUMENT_SIGNING_EKUS = [
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    ObjectIdentifier("1.2.840.113583.1.1.5"),
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
]
P12_ROUNDS = 100_000  # inner PBES2 (the argon2id seal is the brute-force barrier)
ARGON2 = {"t": 2, "m": 32 * 1024, "p": 1}  # KiB; above OWASP's minimum, ~60 ms per seal/unseal
MAX_PKCS12_BYTES = 1 << 20
_MAGIC = b"ECKS1\n"
_USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def password_bytes(password: str) -> bytes:
    return nfc(password).encode()  # the same password typed composed or decomposed opens the same key


def _key(password: str, salt: bytes, p: dict[str, int]) -> bytes:
    if not (1 <= p["t"] <= 16 and 8 <= p["m"] <= 1 << 20 and 1 <= p["p"] <= 16):
        raise ValidationFailed("Tệp khóa không hợp lệ.")  # don't let a tampered header ask for 1 TiB
    return hash_secret_raw(
        password_bytes(password),
        salt,
        time_cost=p["t"],
        memory_cost=p["m"],
        parallelism=p["p"],
        hash_len=32,
        type=Type.ID,
    )


def seal(data: bytes, password: str, context: str) -> bytes:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    header = json.dumps({"kdf": "argon2id", **ARGON2, "salt": b64(salt), "nonce": b64(nonce)}).encode()
    aad = _MAGIC + header + context.encode()
    return _MAGIC + header + b"\n" + AESGCM(_key(password, salt, ARGON2)).encrypt(nonce, data, aad)


def unseal(blob: bytes, password: str, context: str) -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValidationFailed("Tệp khóa không hợp lệ.")
    header, _, body = blob[len(_MAGIC) :].partition(b"\n")
    p = json.loads(header)
    key = _key(password, base64.b64decode(p["salt"]), p)
    try:
        return AESGCM(key).decrypt(base64.b64decode(p["nonce"]), body, _MAGIC + header + context.encode())
    except InvalidTag:
        raise Forbidden(WRONG_PASSWORD) from None


def _write(path: Path, data: bytes) -> None:
    """Atomic, owner-only: a reader never sees half a key file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialises creation across processes (two workers running the demo setup at once)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _p12_encryption(password: str) -> serialization.KeySerializationEncryption:
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(P12_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password_bytes(password))
    )


def _ski(key: ec.EllipticCurvePrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


@dataclass(frozen=True)
class CA:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    keys_dir: Path


def create_demo_ca(keys_dir: Path, passphrase: str = DEMO_CA_PASSPHRASE) -> CA:
    """ECDSA P-256 root (fast to make, accepted by pyHanko and readers). Idempotent: reuses an existing one."""
    keys_dir = Path(keys_dir)
    with _locked(keys_dir):
        pem, sealed = keys_dir / "ca" / "root.pem", keys_dir / "ca" / "root.sealed"
        if pem.exists() and sealed.exists():
            key, cert, _ = pkcs12.load_key_and_certificates(
                unseal(sealed.read_bytes(), passphrase, "ca"), password_bytes(passphrase)
            )
            assert isinstance(key, ec.EllipticCurvePrivateKey) and cert is not None
            return CA(cert, key, keys_dir)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "e-Cabinet Demo CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORG),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            ]
        )
        now = _utcnow()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(_ski(key), critical=False)
            .sign(key, hashes.SHA256())
        )
        p12 = pkcs12.serialize_key_and_certificates(b"e-Cabinet Demo CA", key, cert, None, _p12_encryption(passphrase))
        _write(sealed, seal(p12, passphrase, "ca"))
        _write(pem, cert.public_bytes(serialization.Encoding.PEM))
        return CA(cert, key, keys_dir)


def _check_user_id(user_id: str | int) -> str:
    uid = str(user_id)
    if not _USER_ID.match(uid) or uid.startswith("."):  # it becomes a file name
        raise ValidationFailed("Mã người ký không hợp lệ.")
    return uid


def issue_certificate(
    ca: CA,
    user_id: str | int,
    full_name: str,
    title: str,
    password: str,
    *,
    organization: str = DEMO_ORG,
    days: int = 730,
) -> Path:
    """A signing certificate from the demo CA, written as the signer's sealed PKCS#12 (CA cert included)."""
    uid = _check_user_id(user_id)
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, nfc(full_name))]
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, nfc(title)))
    attrs += [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, nfc(organization)),
        x509.NameAttribute(NameOID.USER_ID, uid),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
    ]
    now = _utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([*DOCUMENT_SIGNING_EKUS, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(_ski(key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    friendly = nfc(full_name).encode()
    p12 = pkcs12.serialize_key_and_certificates(friendly, key, cert, [ca.cert], _p12_encryption(password))
    return KeyStore(ca.keys_dir).store(uid, p12, password, cert)


class KeyStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> "KeyStore":
        return cls(Path(data_dir) / "keys")

    def _sealed(self, uid: str) -> Path:
        return self.root / "signers" / f"{uid}.sealed"

    def has_certificate(self, user_id: str | int) -> bool:
        return self._sealed(_check_user_id(user_id)).exists()

    def certificate(self, user_id: str | int) -> x509.Certificate | None:
        """The signer's public certificate (no password needed): subject, validity, issuer for the UI."""
        pem = self.root / "signers" / f"{_check_user_id(user_id)}.pem"
        return x509.load_pem_x509_certificate(pem.read_bytes()) if pem.exists() else None

    def store(self, uid: str, p12: bytes, password: str, cert: x509.Certificate) -> Path:
        path = self._sealed(uid)
        pem = path.with_suffix(".pem")
        with _locked(self.root / "signers"):
            certhistory.keep_replaced(self.root / "signers", uid, cert)
            _write(path, seal(p12, password, f"signer:{uid}"))
            _write(pem, cert.public_bytes(serialization.Encoding.PEM))
        return path

    def held(self, user_id: str | int | None = None) -> list[certhistory.Held]:
        """Every certificate of one signer (or of all), the current one first (ledger/certhistory.py)."""
        return certhistory.held(self.root / "signers", None if user_id is None else _check_user_id(user_id))

    def import_pkcs12(self, user_id: str | int, data: bytes, password: str) -> x509.Certificate:
        """A real deployment's PKCS#12 (e.g. from the national CA): checked, then kept as given, sealed."""
        uid = _check_user_id(user_id)
        if not password:
            raise ValidationFailed("Tệp PKCS#12 phải được bảo vệ bằng mật khẩu.")
        if len(data) > MAX_PKCS12_BYTES:
            raise ValidationFailed("Tệp PKCS#12 quá lớn.")
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, password_bytes(password))
        except ValueError:
            raise ValidationFailed("Không mở được tệp PKCS#12: sai mật khẩu hoặc tệp hỏng.") from None
        if key is None or cert is None:
            raise ValidationFailed("Tệp PKCS#12 phải chứa khóa bí mật và chứng thư của người ký.")
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)) or (
            isinstance(key, rsa.RSAPrivateKey) and key.key_size < 2048
        ):
            raise ValidationFailed("Khóa phải là RSA từ 2048 bit hoặc ECDSA.")
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(serialization.Encoding.DER, spki) != cert.public_key().public_bytes(
            serialization.Encoding.DER, spki
        ):
            raise ValidationFailed("Khóa bí mật không khớp với chứng thư.")
        _check_signing_cert(cert)
        self.store(uid, data, password, cert)
        return cert

    def unseal_pkcs12(self, user_id: str | int, password: str) -> bytes:
        """The signer's PKCS#12 in memory; Forbidden on a wrong password, Conflict when there is none."""
        path = self._sealed(_check_user_id(user_id))
        if not path.exists():
            raise Conflict("Tài khoản chưa có chứng thư số để ký; quản trị viên cần cấp hoặc nhập chứng thư (PKCS#12).")
        return unseal(path.read_bytes(), password, f"signer:{path.stem}")

    def trusted_roots(self) -> list[x509.Certificate]:
        """The demo CA (while it exists) and every certificate in keys/trust/ (PEM, possibly several, or DER)."""
        roots: list[x509.Certificate] = []
        demo = self.root / "ca" / "root.pem"
        files = ([demo] if demo.exists() else []) + sorted(
            p for p in (self.root / "trust").glob("*") if p.suffix.lower() in {".pem", ".crt", ".cer"}
        )
        for path in files:
            data = path.read_bytes()
            try:
                roots += (
                    x509.load_pem_x509_certificates(data)
                    if b"-----BEGIN" in data
                    else [x509.load_der_x509_certificate(data)]
                )
            except ValueError:
                log.warning("trust list: %s is not a certificate, ignored", path)
        return roots


def _check_signing_cert(cert: x509.Certificate) -> None:
    now = _utcnow()
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise ValidationFailed("Chứng thư số đã hết hạn hoặc chưa có hiệu lực.")
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (ku.digital_signature or ku.content_commitment):
        raise ValidationFailed("Chứng thư số không được phép dùng để ký (thiếu digitalSignature/nonRepudiation).")


def _issued_by(cert: x509.Certificate | None, root: x509.Certificate) -> bool:
    if cert is None:
        return False
    try:
        cert.verify_directly_issued_by(root)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def ensure_demo_signers(keys_dir: Path, signers: Sequence[tuple[str | int, str, str]], password: str) -> None:
    """Demo CA + a certificate per (user_id, full_name, title). Idempotent and fast: the CA key is unsealed
    only when a signer lacks a certificate or holds one from an older demo CA."""
    store, pem = KeyStore(keys_dir), Path(keys_dir) / "ca" / "root.pem"
    root = x509.load_pem_x509_certificate(pem.read_bytes()) if pem.exists() else None
    missing = [
        s
        for s in signers
        if root is None or not store.has_certificate(s[0]) or not _issued_by(store.certificate(s[0]), root)
    ]
    if root is not None and not missing:
        return
    ca = create_demo_ca(keys_dir)
    for user_id, full_name, title in missing:
        issue_certificate(ca, user_id, full_name, title, password)
