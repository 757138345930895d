"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, controller-manager, scheduler.

The binaries are built from the Go module proxy by scripts/ensure-control-plane (the
Makefile puts their folder on PATH as $FRONTIER_CONTROL_PLANE_BIN). Start-up follows
controller-runtime envtest's defaults: a CA of its own and a serving certificate for
127.0.0.1, a generated service-account signing key and issuer, a static token file with
one administrator in `system:masters`, and `--authorization-mode=RBAC`, so everything
that is not the administrator (the operator under the chart's ServiceAccount) gets
exactly what its Role grants and a 403 for the rest.

The controller-manager runs the controllers the operator relies on: Jobs (indexed
completions, backoff per index, podFailurePolicy), the garbage collector (ownerReferences),
namespaces, service accounts and their tokens, Deployments and ReplicaSets (the operator's
own Deployment from the chart) and TTL-after-finished. There is no kubelet: see
tests/support/kubelet.py, which plays one.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

BIN_ENV = "FRONTIER_CONTROL_PLANE_BIN"
ADMIN = "frontier-test-admin"
CONTROLLERS = [
    "job-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "deployment-controller",
    "replicaset-controller",
    "ttl-after-finished-controller",
    "root-ca-certificate-publisher-controller",
]


_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved now: the child only calls it


def die_with_parent() -> None:
    """In a child before exec: SIGTERM it when the thread that started it ends, so a test
    session killed from outside (a CI timeout) leaves no API server or pod process behind.
    (Pods are started by the kubelet thread that also waits for them.)"""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def binaries() -> Path | None:
    """The folder with the control plane's binaries, or None when it was not built."""
    folder = os.environ.get(BIN_ENV)
    if folder and (Path(folder) / "kube-apiserver").exists():
        return Path(folder)
    found = shutil.which("kube-apiserver")
    return Path(found).parent if found else None


_given: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on, never one this process handed out before (the
    kernel may offer a just-closed port again before its first user has bound it)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _given:
            _given.add(port)
            return port


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def write_pki(folder: Path) -> None:
    """ca.crt, the apiserver's serving pair, and the service-account signing key (sa.key, sa.pub)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("frontier-test-ca", ca_key, None, ca=True)
    serving_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serving = _certificate("kube-apiserver", serving_key, (ca, ca_key), ca=False)
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key").write_bytes(_pem_key(ca_key))
    (folder / "apiserver.crt").write_bytes(serving.public_bytes(serialization.Encoding.PEM))
    (folder / "apiserver.key").write_bytes(_pem_key(serving_key))
    (folder / "sa.key").write_bytes(_pem_key(sa_key))
    (folder / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def kubeconfig(server: str, ca: Path, token: str, user: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "test", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": user}}],
        "current-context": "test",
    }


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class ControlPlane:
    """Start with `start()`, stop with `stop()` (every process by its process group; the data
    folder is the caller's, a pytest temporary folder)."""

    root: Path
    bin: Path
    processes: list[Process] = field(default_factory=list)
    server: str = ""
    admin_token: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.root / "admin.kubeconfig"

    def _spawn(self, name: str, args: Sequence[str]) -> Process:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [str(self.bin / name), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _wait(self, process: Process, url: str, *, timeout: float, tls: bool = False) -> None:
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt")) if tls else None
        headers = {"Authorization": f"Bearer {self.admin_token}"} if tls else {}
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited with {process.popen.returncode}:\n{self.tail(process)}"
                )
            try:
                request = urllib.request.Request(url, headers=headers)
                with urllib.request.urlopen(request, timeout=2, context=context) as reply:
                    if reply.status == 200:
                        return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{process.name} not ready at {url} ({last}):\n{self.tail(process)}")

    @staticmethod
    def tail(process: Process, lines: int = 40) -> str:
        text = process.log.read_text(errors="replace") if process.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self, *, controllers: bool = True) -> ControlPlane:
        """Start etcd and kube-apiserver, then (unless `controllers` is False: a bare API
        server, as a bench that plays every controller itself wants) the controller-manager
        and the scheduler."""
        write_pki(self.pki)
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        etcd = self._spawn(
            "etcd",
            [
                f"--data-dir={self.root / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
                "--unsafe-no-fsync",  # a throwaway test store: durability costs time only
                "--log-level=warn",
            ],
        )
        self._wait(etcd, f"{etcd_url}/health", timeout=30)

        tokens = self.root / "tokens.csv"
        tokens.write_text(f'{self.admin_token},{ADMIN},{ADMIN},"system:masters"\n')
        self.server = f"https://127.0.0.1:{api_port}"
        api = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={self.root / 'certs'}",
                f"--tls-cert-file={self.pki / 'apiserver.crt'}",
                f"--tls-private-key-file={self.pki / 'apiserver.key'}",
                f"--client-ca-file={self.pki / 'ca.crt'}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={self.server}",
                f"--service-account-key-file={self.pki / 'sa.pub'}",
                f"--service-account-signing-key-file={self.pki / 'sa.key'}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--disable-admission-plugins=DefaultStorageClass,StorageObjectInUseProtection",
                # As OpenShift and many hardened clusters run: an ownerReference with
                # blockOwnerDeletion needs `update` on the owner's finalizers.
                "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
                "--v=1",
            ],
        )
        self._wait(api, f"{self.server}/readyz", timeout=90, tls=True)
        admin = kubeconfig(self.server, self.pki / "ca.crt", self.admin_token, ADMIN)
        self.admin_kubeconfig.write_text(yaml.safe_dump(admin))
        if not controllers:
            return self

        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={self.admin_kubeconfig}",
                f"--controllers={','.join(CONTROLLERS)}",
                f"--service-account-private-key-file={self.pki / 'sa.key'}",
                f"--root-ca-file={self.pki / 'ca.crt'}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--concurrent-job-syncs=5",
                "--v=1",
            ],
        )
        self._spawn(
            "kube-scheduler",
            [
                f"--kubeconfig={self.admin_kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--v=1",
            ],
        )
        self.wait_for_default_service_account()
        return self

    def wait_for_default_service_account(self, namespace: str = "default") -> None:
        """The serviceaccount controller is up once it made the namespace's `default`."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = self.kubectl("-n", namespace, "get", "serviceaccount", "default", check=False)
            if done.returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError("the controller-manager never created the default ServiceAccount")

    def kubectl(
        self,
        *args: str,
        check: bool = True,
        input: str | None = None,
        timeout: float = 60,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """kubectl as the administrator; `check` raises with kubectl's stderr on failure."""
        done = subprocess.run(
            [str(self.bin / "kubectl"), f"--kubeconfig={self.admin_kubeconfig}", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            cwd=cwd,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{done.stderr}")
        return done

    def helm(
        self, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bin / "helm"), f"--kubeconfig={self.admin_kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=cwd,
            env={**os.environ, "HELM_CACHE_HOME": str(self.root / "helm" / "cache"),
                 "HELM_CONFIG_HOME": str(self.root / "helm" / "config"),
                 "HELM_DATA_HOME": str(self.root / "helm" / "data")},
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{done.stderr}")
        return done

    def service_account_kubeconfig(self, namespace: str, name: str, path: Path) -> Path:
        """A kubeconfig that authenticates as a ServiceAccount with a token the server signed
        (TokenRequest, as the kubelet gets a pod's projected token)."""
        done = self.kubectl("-n", namespace, "create", "token", name, "--duration=24h")
        user = f"system:serviceaccount:{namespace}:{name}"
        config = kubeconfig(self.server, self.pki / "ca.crt", done.stdout.strip(), user)
        path.write_text(yaml.safe_dump(config))
        return path

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=5)
        self.processes.clear()


@contextlib.contextmanager
def control_plane(root: Path, *, controllers: bool = True) -> Iterator[ControlPlane]:
    folder = binaries()
    if folder is None:
        raise RuntimeError(
            f"no control plane binaries: run scripts/ensure-control-plane and set ${BIN_ENV}"
        )
    plane = ControlPlane(root=root, bin=folder)
    try:
        yield plane.start(controllers=controllers)
    finally:
        plane.stop()
