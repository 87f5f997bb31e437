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


# name -> (common name, organisation)
CLIENTS = {
    "admin": ("openova-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", None),
    "scheduler": ("system:kube-scheduler", None),
    "kwok": ("kwok-controller", "system:masters"),
    "apiserver-etcd-client": ("kube-apiserver-etcd-client", None),
    # kube-apiserver towards its egress proxy, and devcluster's own controllers
    # (load balancer, volume provisioner, kwok Stages, the proxy's Service lookups).
    "apiserver-egress-client": ("kube-apiserver-egress-client", None),
    "devcluster": ("devcluster-controllers", "system:masters"),
}
# Serving certificates for 127.0.0.1 besides the API server's.
SERVERS = ("egress-proxy",)


def _load(pki: Path, name: str):
    key = serialization.load_pem_private_key((pki / f"{name}.key").read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate((pki / f"{name}.crt").read_bytes())


def _missing(pki: Path, name: str) -> bool:
    return not ((pki / f"{name}.key").exists() and (pki / f"{name}.crt").exists())


def _write_pair(pki: Path, name: str, pair) -> None:
    _write_key(pki / f"{name}.key", pair[0])
    _write_cert(pki / f"{name}.crt", pair[1])


def generate(pki: Path, service_ip: str) -> None:
    """Write every certificate the control plane needs into ``pki``; what is
    already there is kept, and what a newer devcluster needs is added."""
    pki.mkdir(parents=True, exist_ok=True)
    if _missing(pki, "ca"):
        _write_pair(pki, "ca", _ca("openova-local-ca"))
    ca_key, ca_cert = _load(pki, "ca")

    sans = ("127.0.0.1", service_ip, "localhost", "kubernetes", "kubernetes.default",
            "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
    for name, extra in (("apiserver", {"server": True}),
                        ("etcd-server", {"server": True, "client": True})):
        if _missing(pki, name):
            _write_pair(pki, name, _leaf(ca_key, ca_cert, name, sans=sans, **extra))
    for name in SERVERS:
        if _missing(pki, name):
            _write_pair(pki, name, _leaf(ca_key, ca_cert, name, server=True, sans=("127.0.0.1",)))
    for name, (cn, org) in CLIENTS.items():
        if _missing(pki, name):
            _write_pair(pki, name, _leaf(ca_key, ca_cert, cn, org, client=True))

    if _missing(pki, "front-proxy-ca"):
        _write_pair(pki, "front-proxy-ca", _ca("openova-front-proxy-ca"))
    if _missing(pki, "front-proxy-client"):
        fp_key, fp_cert = _load(pki, "front-proxy-ca")
        _write_pair(pki, "front-proxy-client", _leaf(fp_key, fp_cert, "front-proxy-client", client=True))

    if not (pki / "sa.key").exists():
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
