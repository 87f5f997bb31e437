"""Certificates and keys for the local test control plane.

Writes a cluster CA, a front-proxy CA, serving and client certificates and the
service-account signing key pair into one directory. Pure file output; it
starts nothing and talks to no server.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=365)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path: Path, cert) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _ca(cn: str):
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY * 10)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, cn, org=None, server=False, client=False, sans=()):
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn, org)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + VALIDITY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
    if sans:
        names = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


# name -> (common name, organisation, server, client)
CLIENTS = {
    "admin": ("openova-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", None),
    "scheduler": ("system:kube-scheduler", None),
    "kwok": ("kwok-controller", "system:masters"),
    "apiserver-etcd-client": ("kube-apiserver-etcd-client", None),
}


def generate(pki: Path, service_ip: str) -> None:
    """Write every certificate the control plane needs into ``pki`` (once)."""
    if (pki / "ca.crt").exists():
        return
    pki.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("openova-local-ca")
    _write_key(pki / "ca.key", ca_key)
    _write_cert(pki / "ca.crt", ca_cert)

    sans = ("127.0.0.1", service_ip, "localhost", "kubernetes", "kubernetes.default",
            "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
    for name, extra in (("apiserver", {"server": True}),
                        ("etcd-server", {"server": True, "client": True})):
        key, cert = _leaf(ca_key, ca_cert, name, sans=sans, **extra)
        _write_key(pki / f"{name}.key", key)
        _write_cert(pki / f"{name}.crt", cert)
    for name, (cn, org) in CLIENTS.items():
        key, cert = _leaf(ca_key, ca_cert, cn, org, client=True)
        _write_key(pki / f"{name}.key", key)
        _write_cert(pki / f"{name}.crt", cert)

    fp_key, fp_cert = _ca("openova-front-proxy-ca")
    _write_key(pki / "front-proxy-ca.key", fp_key)
    _write_cert(pki / "front-proxy-ca.crt", fp_cert)
    key, cert = _leaf(fp_key, fp_cert, "front-proxy-client", client=True)
    _write_key(pki / "front-proxy-client.key", key)
    _write_cert(pki / "front-proxy-client.crt", cert)

    sa_key = _key()
    _write_key(pki / "sa.key", sa_key)
    (pki / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def kubeconfig(pki: Path, server: str, client: str, cluster_name: str = "openova-local") -> str:
    """A kubeconfig that embeds the CA and ``client``'s certificate paths."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {cluster_name}
  cluster:
    server: {server}
    certificate-authority: {pki / 'ca.crt'}
users:
- name: {client}
  user:
    client-certificate: {pki / f'{client}.crt'}
    client-key: {pki / f'{client}.key'}
contexts:
- name: {cluster_name}
  context:
    cluster: {cluster_name}
    user: {client}
current-context: {cluster_name}
"""
