"""A throwaway certificate authority and a server certificate from it, for fakes that clients reach over TLS.

The client under test keeps verifying certificates as in production; it is only told to trust this CA (a
``ca.pem`` that ``write`` puts next to the server's certificate and key)::

    certificate = server_certificate("Cadence test CA (FakeX)", dns_names=("pypi.org",))
    certificate.write(directory)
    tls = certificate.server_context(directory)  # for ssl.wrap_socket or a server's ssl_context=
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(directory / CA_FILE))
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CERTIFICATE_FILE = "server.pem"
KEY_FILE = "server.key"
VALIDITY = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerCertificate:
    """PEMs of the CA, of the server certificate it signed, and of the server's private key."""

    ca_pem: bytes
    certificate_pem: bytes
    key_pem: bytes

    def write(self, directory: Path) -> None:
        (directory / CA_FILE).write_bytes(self.ca_pem)
        (directory / CERTIFICATE_FILE).write_bytes(self.certificate_pem)
        (directory / KEY_FILE).write_bytes(self.key_pem)

    def server_context(self, directory: Path) -> ssl.SSLContext:
        """A server-side context presenting the certificate that ``write`` put in ``directory``."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(directory / CERTIFICATE_FILE, directory / KEY_FILE)
        return context


@functools.cache
def server_certificate(
    ca_common_name: str, *, dns_names: tuple[str, ...] = (), ip_addresses: tuple[str, ...] = ()
) -> ServerCertificate:
    """Generated once per process and arguments. The keys are EC: cheap, and any TLS client accepts them.

    Both certificates carry the extensions (key usage, key identifiers) that strict verification asks for,
    as Python 3.13's default context does.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_common_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    names += [x509.DNSName(name) for name in dns_names]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (*ip_addresses, *dns_names)[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ServerCertificate(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        certificate_pem=server_cert.public_bytes(serialization.Encoding.PEM),
        key_pem=server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
