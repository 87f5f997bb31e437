"""Build and cache the pinned binaries the project's test setup needs.

Every binary is built from the Go module proxy (no download sites are used),
into ``<cache>/bin/<name>-<version>/<name>``. A binary that is already there is
never rebuilt, so a second run costs nothing. Nothing here starts a process
other than ``go``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The pins. Kubernetes components come from one k8s.io/kubernetes release; the
# staging modules are pinned to the matching v0.x.y by replace directives.
KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
HELM_VERSION = "v3.19.5"  # kubernetes.core 6.2 drives Helm 3
# The commit of helm's v3.19.5 tag, which its release build stamps into `helm version`.
HELM_GIT_COMMIT = "4a19a5b6fb912c5c28a779e73f2e0880d9e239a4"
KYVERNO_VERSION = "v1.19.0"  # matches the kyverno chart 3.9.0 and ../shared/crds/kyverno
# The OpenTelemetry Collector: the opentelemetry-collector chart 0.139.1 deploys
# otel/opentelemetry-collector-k8s at its appVersion 0.139.0; the builder and
# every component are pinned to that release (confmap providers to v1.45.0, the
# stable module line released with it).
COLLECTOR_VERSION = "v0.139.0"
COLLECTOR_PROVIDERS_VERSION = "v1.45.0"
CYCLONUS_VERSION = "v0.5.6"  # an independent NetworkPolicy engine for the reachability matrix
# istio.io/istio is served only as pseudo-versions, and only one of them builds from the
# proxy: the 1.30.3 tag's commit (56df41f6) is not served; the release-1.30 branch of
# 2026-08-26 (9739e10eb9d7, VERSION 1.30, closest to 1.30.3) and master of 2026-04-23
# (b01690e6db7d) are, but the proxy refuses (403) dependencies they pin (istio.io/api and
# istio.io/client-go v1.30.4-0..., go-control-plane/envoy v1.37.1-0.20260409...,
# agentgateway/api pseudo-versions). This is master of 2026-08-27 (VERSION 1.31, istio.io/api
# v1.31.0-rc.0...), whose whole module graph is served; it runs with the 1.30.3 charts.
ISTIO_VERSION = "v0.0.0-20260827124520-eed52ebb66ad"
ISTIO_RELEASE = "1.31"  # the VERSION file of ISTIO_VERSION; upstream's dev builds say <VERSION>-dev


def cache_dir() -> Path:
    """The git-ignored cache root; OPENOVA_CACHE_DIR overrides it."""
    return Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO_ROOT / ".cache").resolve()


class ToolchainError(RuntimeError):
    """A binary could not be built; the message says what is missing."""


@dataclass(frozen=True)
class GoBinary:
    """One binary built from a Go package path inside a pinned module."""

    name: str
    module: str
    version: str
    package: str
    # Go ignores a dependency's own replace directives, so build() restates
    # them; those that point at local staging folders are pinned to this
    # published version instead.
    staging_replace: str | None = None
    ldflags: str = ""
    # More commands of the same module, built by the same `go build` into the
    # same folder (each named after its package's last element): one
    # invocation compiles the shared dependencies once, in parallel.
    also: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        """The main binary: named ``name``, or after its package when ``also`` is set."""
        folder = cache_dir() / "bin" / f"{self.name}-{self.version}"
        return folder / (self.commands[0] if self.also else self.name)

    def command(self, name: str) -> Path:
        """The path of one of the commands built together (``commands``)."""
        if name not in self.commands:
            raise KeyError(f"{self.name} builds {', '.join(self.commands)}, not {name}")
        return self.path.parent / name

    @property
    def commands(self) -> tuple[str, ...]:
        """The binaries' names; with ``also``, each is its package's last element."""
        if not self.also:
            return (self.name,)
        return tuple(pkg.rsplit("/", 1)[1] for pkg in (self.package, *self.also))

    @property
    def recipe(self) -> str:
        """Everything besides the version that shapes the binary; a cached
        binary built from another recipe (say, older ldflags) is rebuilt."""
        parts = [self.module, self.package, self.staging_replace, self.ldflags]
        return json.dumps(parts + [list(self.also)] if self.also else parts)

    def cached(self) -> bool:
        stamp = self.path.parent / "recipe.json"
        return (self.path.exists() and all(self.command(c).exists() for c in self.commands)
                and stamp.exists() and stamp.read_text() == self.recipe)


@dataclass(frozen=True)
class CollectorBinary:
    """An OpenTelemetry Collector built by the OpenTelemetry Collector Builder
    with exactly ``components`` ({kind: (Go module path, ...)}, kinds as in the
    builder manifest). A unit test checks that they are the components the
    role's rendered configuration uses."""

    name: str
    version: str
    components: tuple

    @property
    def path(self) -> Path:
        return cache_dir() / "bin" / f"{self.name}-{self.version}" / self.name

    def manifest(self, output_path: Path) -> dict:
        out = {"dist": {"name": self.name, "description": "OpenOva platform collector (tests)",
                        "version": self.version.lstrip("v"), "output_path": str(output_path)}}
        for kind, modules in self.components:
            version = COLLECTOR_PROVIDERS_VERSION if kind == "providers" else self.version
            out[kind] = [{"gomod": f"{module} {version}"} for module in modules]
        return out

    @property
    def recipe(self) -> str:
        return json.dumps(["ocb", self.manifest(Path("."))])

    def cached(self) -> bool:
        stamp = self.path.parent / "recipe.json"
        return self.path.exists() and stamp.exists() and stamp.read_text() == self.recipe


_CORE = "go.opentelemetry.io/collector"
_CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
# Exactly the components the collector configuration of roles/observability uses
# (plugins/module_utils/observability/collector.py), each from the same module
# the otelcol-k8s distribution takes it from.
COLLECTOR_COMPONENTS = (
    ("receivers", (f"{_CORE}/receiver/otlpreceiver",)),
    ("processors", (f"{_CORE}/processor/memorylimiterprocessor", f"{_CORE}/processor/batchprocessor",
                    f"{_CONTRIB}/processor/resourceprocessor", f"{_CONTRIB}/processor/k8sattributesprocessor")),
    ("connectors", (f"{_CONTRIB}/connector/routingconnector",)),
    ("exporters", (f"{_CORE}/exporter/otlphttpexporter", f"{_CORE}/exporter/debugexporter")),
    ("extensions", (f"{_CONTRIB}/extension/healthcheckextension",)),
    ("providers", (f"{_CORE}/confmap/provider/envprovider", f"{_CORE}/confmap/provider/fileprovider",
                   f"{_CORE}/confmap/provider/yamlprovider")),
)


def _k8s_staging(version: str) -> str:
    return "v0." + version.lstrip("v").split(".", 1)[1]


def _k8s_ldflags(version: str) -> str:
    """Stamp the release into /version, as the upstream release build does."""
    major, minor = version.lstrip("v").split(".")[:2]
    flags = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {pkg}.gitVersion={version}", f"-X {pkg}.gitMajor={major}",
                  f"-X {pkg}.gitMinor={minor}", f"-X {pkg}.gitTreeState=clean"]
    return " ".join(flags)


def _helm_ldflags(version: str, git_commit: str, client_go: str = "v0.34.2") -> str:
    """What helm's Makefile passes for a tagged release build: the version (no
    "unreleased" metadata on a tag), the commit and a clean tree, and the default
    Kubernetes version for `template` and `lint` without a cluster, derived from
    the client-go it is built with (v0.34.x gives 1.34) in two packages."""
    major = int(client_go.lstrip("v").split(".")[0]) + 1
    minor = client_go.lstrip("v").split(".")[1]
    flags = [f"-X helm.sh/helm/v3/internal/version.version={version}",
             "-X helm.sh/helm/v3/internal/version.metadata=",
             f"-X helm.sh/helm/v3/internal/version.gitCommit={git_commit}",
             "-X helm.sh/helm/v3/internal/version.gitTreeState=clean"]
    for pkg in ("helm.sh/helm/v3/pkg/lint/rules", "helm.sh/helm/v3/pkg/chartutil"):
        flags += [f"-X {pkg}.k8sVersionMajor={major}", f"-X {pkg}.k8sVersionMinor={minor}"]
    return " ".join(flags)


def _k8s(command: str) -> "GoBinary":
    return GoBinary(command, "k8s.io/kubernetes", KUBERNETES_VERSION, f"k8s.io/kubernetes/cmd/{command}",
                    _k8s_staging(KUBERNETES_VERSION), ldflags=_k8s_ldflags(KUBERNETES_VERSION))


def _istio_ldflags(version: str, release: str) -> str:
    """What istio's common/scripts/report_build_info.sh stamps into a dev build."""
    revision = version.rsplit("-", 1)[1]
    pkg = "istio.io/istio/pkg/version"
    return " ".join(f"-X {pkg}.{key}={value}" for key, value in (
        ("buildVersion", f"{release}-dev"), ("buildGitRevision", revision), ("buildStatus", "Clean"),
        ("buildTag", version), ("buildHub", "docker.io/istio"), ("buildOS", "linux"), ("buildArch", "amd64")))


BINARIES = {
    b.name: b
    for b in (
        _k8s("kube-apiserver"),
        _k8s("kube-controller-manager"),
        _k8s("kube-scheduler"),
        _k8s("kubectl"),
        GoBinary("etcd", "go.etcd.io/etcd/server/v3", ETCD_VERSION, "go.etcd.io/etcd/server/v3"),
        GoBinary("kwok", "sigs.k8s.io/kwok", KWOK_VERSION, "sigs.k8s.io/kwok/cmd/kwok"),
        GoBinary("helm", "helm.sh/helm/v3", HELM_VERSION, "helm.sh/helm/v3/cmd/helm",
                 ldflags=_helm_ldflags(HELM_VERSION, HELM_GIT_COMMIT)),
        GoBinary("kyverno", "github.com/kyverno/kyverno", KYVERNO_VERSION,
                 "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno"),
        GoBinary("ocb", "go.opentelemetry.io/collector/cmd/builder", COLLECTOR_VERSION,
                 "go.opentelemetry.io/collector/cmd/builder"),
        CollectorBinary("otelcol-openova", COLLECTOR_VERSION, COLLECTOR_COMPONENTS),
        GoBinary("cyclonus", "github.com/mattfenwick/cyclonus", CYCLONUS_VERSION,
                 "github.com/mattfenwick/cyclonus/cmd/cyclonus"),
        # Kyverno's admission controller (its command is also called kyverno,
        # hence its own folder) and background controller, for the admission
        # profile of the local cluster.
        GoBinary("kyverno-controllers", "github.com/kyverno/kyverno", KYVERNO_VERSION,
                 "github.com/kyverno/kyverno/cmd/kyverno",
                 ldflags=f"-X github.com/kyverno/kyverno/pkg/version.BuildVersion={KYVERNO_VERSION}",
                 also=("github.com/kyverno/kyverno/cmd/background-controller",)),
        # istiod and istioctl, one build.
        GoBinary("istio", "istio.io/istio", ISTIO_VERSION, "istio.io/istio/pilot/cmd/pilot-discovery",
                 ldflags=_istio_ldflags(ISTIO_VERSION, ISTIO_RELEASE),
                 also=("istio.io/istio/istioctl/cmd/istioctl",)),
    )
}

CLUSTER_BINARIES = (
    "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl")
# What the admission profile runs besides the cluster (and helm, to render istiod's chart).
ADMISSION_BINARIES = ("kyverno-controllers", "istio", "helm")


def _go() -> str:
    go = shutil.which("go")
    if not go:
        raise ToolchainError(
            "the 'go' command is missing: install Go 1.26 or newer (it builds the "
            "pinned Kubernetes components from the Go module proxy)")
    return go


def _run_go(args: list[str], workdir: Path, log: Path) -> None:
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod -buildvcs=false")
    with log.open("ab") as out:
        proc = subprocess.run([_go(), *args], cwd=workdir, env=env, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        hint = ""
        text = "\n".join(tail)
        if "proxy" in text or "dial tcp" in text or "no such host" in text:
            hint = ("\nThe Go module proxy could not be reached; the build needs it "
                    "(set GOPROXY to a reachable proxy or mirror).")
        raise ToolchainError(
            f"'go {' '.join(args)}' failed in {workdir} (full log: {log}):\n{text}{hint}")


def _module_replaces(module: str, version: str, workdir: Path, log: Path) -> tuple[list[str], dict[str, str]]:
    """The replace directives of a module's own go.mod, which Go ignores when
    the module is a dependency: (modules replaced by local paths, other replacements)."""
    out = subprocess.run([_go(), "mod", "download", "-json", f"{module}@{version}"],
                         cwd=workdir, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        log.write_text(out.stdout + out.stderr)
        raise ToolchainError(f"cannot fetch {module}@{version} from the Go module proxy: "
                             f"{(out.stdout + out.stderr).strip()[-400:]}")
    local, remote = [], {}
    for line in Path(json.loads(out.stdout)["GoMod"]).read_text().splitlines():
        line = line.strip()
        if line.startswith("replace "):
            line = line[len("replace "):]
        if "=>" not in line or line.startswith("//"):
            continue
        old, new = (part.strip() for part in line.split("=>", 1))
        if new.startswith("."):
            local.append(old.split()[0])
        else:
            remote[old] = new
    return local, remote


def _build_collector(binary: CollectorBinary) -> Path:
    """Generate and compile a collector distribution with the builder."""
    ocb = build(BINARIES["ocb"])
    workdir = cache_dir() / "build" / f"{binary.name}-{binary.version}"
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    log = workdir / "build.log"
    log.write_text("")
    # JSON is YAML; the builder reads either.
    (workdir / "manifest.yaml").write_text(json.dumps(binary.manifest(workdir / "dist"), indent=2))
    print(f"building {binary.name} {binary.version} with the OpenTelemetry Collector Builder ...", flush=True)
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod -buildvcs=false")
    _go()  # a clear error when go is missing
    with log.open("ab") as out:
        proc = subprocess.run([str(ocb), "--config", str(workdir / "manifest.yaml"), "--ldflags=-s -w"],
                              cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:])
        raise ToolchainError(f"the OpenTelemetry Collector Builder failed (full log: {log}):\n{tail}")
    binary.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(workdir / "dist" / binary.name, binary.path)
    (binary.path.parent / "recipe.json").write_text(binary.recipe)
    return binary.path


def build(binary) -> Path:
    """Build ``binary`` into the cache unless it is there; return its path."""
    if binary.cached():
        return binary.path
    if isinstance(binary, CollectorBinary):
        return _build_collector(binary)
    workdir = cache_dir() / "build" / f"{binary.name}-{binary.version}"
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "build.log"
    log.write_text("")
    lines = ["module openova.local/build", "", "go 1.26", "",
             f"require {binary.module} {binary.version}", ""]
    local, remote = _module_replaces(binary.module, binary.version, workdir, log)
    replaces = dict(remote)
    if binary.staging_replace:
        replaces.update((mod, f"{mod} {binary.staging_replace}") for mod in local)
    lines += [f"replace {mod} => {target}" for mod, target in sorted(replaces.items())]
    (workdir / "go.mod").write_text("\n".join(lines) + "\n")
    binary.path.parent.mkdir(parents=True, exist_ok=True)
    (binary.path.parent / "recipe.json").unlink(missing_ok=True)
    flags = ["build", "-trimpath", f"-ldflags=-s -w {binary.ldflags}".strip()]
    print(f"building {binary.name} {binary.version} from {', '.join((binary.package, *binary.also))} ...",
          flush=True)
    if binary.also:
        # Several packages: `go build -o DIR/` names each binary after its package.
        tmp = binary.path.parent.with_name(binary.path.parent.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        _run_go([*flags, "-o", f"{tmp}/", binary.package, *binary.also], workdir, log)
        for built in tmp.iterdir():
            built.replace(binary.path.parent / built.name)
        tmp.rmdir()
    else:
        tmp = binary.path.with_suffix(".partial")
        _run_go([*flags, "-o", str(tmp), binary.package], workdir, log)
        tmp.rename(binary.path)
    (binary.path.parent / "recipe.json").write_text(binary.recipe)
    return binary.path


def module_dir(module: str, version: str) -> Path:
    """The unpacked source of a module version, from the Go module cache."""
    out = subprocess.run([_go(), "mod", "download", "-json", f"{module}@{version}"],
                         capture_output=True, text=True, check=False, cwd=cache_dir())
    if out.returncode != 0:
        raise ToolchainError(f"cannot fetch {module}@{version} from the Go module proxy: "
                             f"{(out.stdout + out.stderr).strip()[-400:]}")
    return Path(json.loads(out.stdout)["Dir"])


# kwok's own stage definitions, shipped in its module: nodes become Ready and
# keep a heartbeat; pods become Running and Ready, Job pods Succeed, and
# deleted pods go away.
KWOK_STAGES = ("node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml",
               "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml")


def kwok_stages() -> str:
    """The stage documents for kwok's --config, as one YAML stream."""
    root = module_dir("sigs.k8s.io/kwok", KWOK_VERSION) / "kustomize" / "stage"
    return "\n---\n".join((root / rel).read_text() for rel in KWOK_STAGES)


def ensure(names) -> dict[str, Path]:
    """Build every named binary that is not cached yet."""
    return {name: build(BINARIES[name]) for name in names}


def main(argv=None) -> int:
    names = argv if argv else list(BINARIES)
    try:
        for name, path in ensure(names).items():
            binary = BINARIES[name]
            if getattr(binary, "also", None):
                for command in binary.commands:
                    print(f"{command}: {binary.command(command)}")
            else:
                print(f"{name}: {path}")
    except ToolchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"error: unknown binary {exc}; known: {', '.join(BINARIES)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
