"""OpenSSH SSHSIG signatures (PROTOCOL.sshsig): verified with `cryptography`, made by `ssh-keygen -Y sign`.

Verification is in-process so that a portal of 10,000 items does not start 40,000 processes; signing
goes through OpenSSH itself, so passphrases, ssh-agent and security keys work as users expect.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"SSHSIG"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
_CURVES = {
    b"nistp256": (ec.SECP256R1(), hashes.SHA256()),
    b"nistp384": (ec.SECP384R1(), hashes.SHA384()),
    b"nistp521": (ec.SECP521R1(), hashes.SHA512()),
}
_SK_FLAG_USER_PRESENCE = 0x01


class SignatureError(Exception):
    """The signature is malformed or does not verify; the message is Chinese, for users."""


@dataclass(frozen=True)
class SshSig:
    public_key: bytes  # the signer's public key blob
    namespace: str
    hash_algorithm: str
    signature: bytes  # the signature blob


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("签名数据不完整")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return struct.unpack(">I", self.raw(4))[0]

    def string(self) -> bytes:
        return self.raw(self.u32())

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def done(self) -> bool:
        return self.pos == len(self.data)


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def key_blob(line: str) -> bytes:
    """Returns the public key blob of an authorized_keys-style line ("type base64 [comment]")."""
    parts = line.split()
    if len(parts) < 2:
        raise SignatureError("公钥格式错误:应为“类型 Base64 [备注]”,如 ssh-ed25519 AAAA… zhangsan")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("公钥的 Base64 部分无法解码") from None
    try:
        declared = _Reader(blob).string()
    except SignatureError:
        raise SignatureError("公钥数据不完整") from None
    if declared.decode("ascii", "replace") != parts[0]:
        raise SignatureError(f"公钥类型 {parts[0]} 与其内容不符")
    _public_key(blob)  # parses it, or raises
    return blob


@lru_cache(maxsize=1024)
def key_identity(blob: bytes) -> tuple:
    """Returns what identifies the key pair behind a public key blob, whatever its encoding.

    Two blobs can hold one key: an EC point compressed or not, an RSA mpint with leading zeros,
    the same Ed25519 or EC key as a plain and a security-key (sk-) type. Whoever holds the private
    key can sign for every such blob, so they are one key."""
    kind, key, _ = _public_key(blob)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("ed25519", key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    if isinstance(key, tuple):  # ECDSA: (key, hash)
        return ("ecdsa", key[0].curve.name, key[0].public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    numbers = key.public_numbers()
    return ("rsa", numbers.e, numbers.n)


def fingerprint(blob: bytes) -> str:
    """Returns the OpenSSH SHA256 fingerprint of a key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse(armored: str) -> SshSig:
    """Returns the parts of an armored SSHSIG signature."""
    text = armored.strip()
    if not text.startswith(BEGIN) or not text.endswith(END):
        raise SignatureError("签名格式错误:应以 -----BEGIN SSH SIGNATURE----- 开头")
    body = "".join(text[len(BEGIN) : -len(END)].split())
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("签名的 Base64 部分无法解码") from None
    reader = _Reader(blob)
    if reader.raw(6) != MAGIC:
        raise SignatureError("不是 SSHSIG 签名")
    if reader.u32() != 1:
        raise SignatureError("不支持的 SSHSIG 版本")
    public_key = reader.string()
    namespace = reader.string().decode("utf-8", "replace")
    reader.string()  # reserved
    hash_algorithm = reader.string().decode("ascii", "replace")
    signature = reader.string()
    if not reader.done():
        raise SignatureError("签名数据末尾有多余内容")
    return SshSig(public_key, namespace, hash_algorithm, signature)


def signed_data(namespace: str, hash_algorithm: str, message: bytes) -> bytes:
    """Returns the bytes an SSHSIG signature is computed over."""
    if hash_algorithm == "sha256":
        digest = hashlib.sha256(message).digest()
    elif hash_algorithm == "sha512":
        digest = hashlib.sha512(message).digest()
    else:
        raise SignatureError(f"不支持的摘要算法 {hash_algorithm}")
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_algorithm.encode()) + _string(digest)


def verify(armored: str, message: bytes, namespace: str, allowed: list[bytes]) -> bytes:
    """Returns the signer's key blob if ``armored`` is a valid signature by one of ``allowed``."""
    sig = parse(armored)
    if sig.namespace != namespace:
        raise SignatureError(f"签名的命名空间是 {sig.namespace},应为 {namespace}")
    if sig.public_key not in allowed:
        raise SignatureError(f"签名所用密钥 {fingerprint(sig.public_key)} 不是该审核人在 reviewers.yml 中登记的密钥")
    data = signed_data(namespace, sig.hash_algorithm, message)
    if not _verify_blob(sig.public_key, sig.signature, data):
        raise SignatureError("签名与内容不符:信息在签名后被修改,或签名属于其他信息或其他审核环节")
    return sig.public_key


@lru_cache(maxsize=1024)
def _public_key(blob: bytes):
    # Cached: a portal has a few dozen reviewer keys and tens of thousands of signatures.
    reader = _Reader(blob)
    kind = reader.string()
    if kind == b"ssh-ed25519":
        return kind, ed25519.Ed25519PublicKey.from_public_bytes(reader.string()), None
    if kind == b"sk-ssh-ed25519@openssh.com":
        return kind, ed25519.Ed25519PublicKey.from_public_bytes(reader.string()), reader.string()
    if kind.startswith(b"ecdsa-sha2-") or kind == b"sk-ecdsa-sha2-nistp256@openssh.com":
        curve_name = reader.string()
        if curve_name not in _CURVES:
            raise SignatureError("不支持的椭圆曲线")
        point = reader.string()
        curve_key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[curve_name][0], point)
        application = reader.string() if kind.startswith(b"sk-") else None
        return kind, (curve_key, _CURVES[curve_name][1]), application
    if kind == b"ssh-rsa":
        e, n = reader.mpint(), reader.mpint()
        if n.bit_length() < 2048:
            raise SignatureError("RSA 密钥少于 2048 位,不予接受")
        return kind, rsa.RSAPublicNumbers(e, n).public_key(), None
    raise SignatureError(f"不支持的密钥类型 {kind.decode('ascii', 'replace')}")


def _verify_blob(public_blob: bytes, signature_blob: bytes, data: bytes) -> bool:
    kind, key, application = _public_key(public_blob)
    reader = _Reader(signature_blob)
    sig_type = reader.string()
    raw = reader.string()
    try:
        if kind == b"ssh-ed25519" and sig_type == kind:
            key.verify(raw, data)
            return reader.done()
        if kind.startswith(b"sk-") and sig_type == kind:
            flags = reader.raw(1)
            counter = reader.raw(4)
            if not reader.done() or not flags[0] & _SK_FLAG_USER_PRESENCE:
                return False
            message = hashlib.sha256(application).digest() + flags + counter + hashlib.sha256(data).digest()
            if kind == b"sk-ssh-ed25519@openssh.com":
                key.verify(raw, message)
            else:
                ec_key, _ = key
                sig_reader = _Reader(raw)
                der = encode_dss_signature(sig_reader.mpint(), sig_reader.mpint())
                ec_key.verify(der, message, ec.ECDSA(hashes.SHA256()))
            return True
        if kind.startswith(b"ecdsa-sha2-") and sig_type == kind:
            ec_key, hash_algorithm = key
            sig_reader = _Reader(raw)
            der = encode_dss_signature(sig_reader.mpint(), sig_reader.mpint())
            ec_key.verify(der, data, ec.ECDSA(hash_algorithm))
            return reader.done()
        if kind == b"ssh-rsa" and sig_type in (b"rsa-sha2-256", b"rsa-sha2-512"):
            algorithm = hashes.SHA256() if sig_type == b"rsa-sha2-256" else hashes.SHA512()
            key.verify(raw, data, padding.PKCS1v15(), algorithm)
            return reader.done()
    except (InvalidSignature, ValueError, SignatureError):
        return False
    return False


def sign_with_ssh_keygen(message: bytes, key_path: str | Path, namespace: str, env: dict[str, str] | None = None) -> str:
    """Returns the armored signature `ssh-keygen -Y sign` makes over ``message``. ``key_path`` is a
    private key file, or a public key whose private half ssh-agent holds (SSH_AUTH_SOCK); ``env``
    replaces the environment of ssh-keygen (the review desk passes its passphrase this way)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-sign-") as tmp:
        data = Path(tmp) / "statement"
        data.write_bytes(message)
        try:
            result = subprocess.run(
                ["ssh-keygen", "-Y", "sign", "-n", namespace, "-f", str(key_path), str(data)],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except FileNotFoundError:
            raise SignatureError("找不到 ssh-keygen:请安装 OpenSSH 客户端") from None
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()
            hint = ""
            if "UNPROTECTED" in result.stderr or "too open" in result.stderr:
                hint = f";私钥文件权限过宽,请执行 chmod 600 {key_path}"
            elif "passphrase" in result.stderr:
                hint = ";密钥口令不正确或未输入"
            raise SignatureError(f"ssh-keygen 签名失败:{detail[-1] if detail else result.returncode}{hint}")
        return (Path(tmp) / "statement.sig").read_text()
