"""Assemble an OpenSearch distribution, with its security plugin, from Maven Central alone.

OpenSearch's own tarball is not served here; its parts are. The result has the layout of the
official tarball (``opensearch-X/{lib,modules,plugins,config}``), so the role takes either:
- ``lib/``: the server ``org.opensearch:opensearch`` and its runtime dependencies, plus log4j-core
  (not in its pom) and ``opensearch-plugin-classloader`` (2.19.4 is not served; 2.19.6 works)
- ``modules/<name>/``: the modules a cluster needs, each a plain jar from Maven with the descriptor
  and security policy that the build would have written
- ``plugins/opensearch-security/``: the security plugin's own zip, whose version must match
- its demo installer and sample configuration (``admin:admin``) are left out
- ``config/opensearch.keystore``: an empty keystore without a password (the server would otherwise
  write one into its configuration directory, which the service may not write)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab.maven import copy_artifact, pom
from orchestrator.lab.tarball import write_tarball
from orchestrator.roles.search.model import OPENSEARCH

OPENSEARCH_VERSION = OPENSEARCH.version
SECURITY_PLUGIN_VERSION = f"{OPENSEARCH_VERSION}.0"
PLUGIN_CLASSLOADER_VERSION = "2.19.6"
LOG4J_VERSION = "2.21.0"  # the version the server's log4j-api is built with


@dataclass(frozen=True)
class Module:
    name: str
    artifact: str
    classname: str
    extends: str = ""
    permissions: tuple[str, ...] = ()


MODULES = (
    Module(
        "transport-netty4",
        "transport-netty4-client",
        "org.opensearch.transport.Netty4Plugin",
        permissions=(
            'java.io.FilePermission "/proc/sys/net/core/somaxconn", "read"',
            'java.net.SocketPermission "*", "accept,connect"',
            'java.lang.RuntimePermission "setContextClassLoader"',
            'java.lang.RuntimePermission "getClassLoader"',
            'java.util.PropertyPermission "sun.nio.ch.bugLevel", "write"',
        ),
    ),
    Module(
        "lang-painless",
        "lang-painless",
        "org.opensearch.painless.PainlessPlugin",
        permissions=('java.lang.RuntimePermission "createClassLoader"', 'java.lang.RuntimePermission "getClassLoader"'),
    ),
    Module(
        "analysis-common", "analysis-common", "org.opensearch.analysis.common.CommonAnalysisPlugin", "lang-painless"
    ),
    Module("mapper-extras", "mapper-extras-client", "org.opensearch.index.mapper.MapperExtrasPlugin"),
    Module("parent-join", "parent-join-client", "org.opensearch.join.ParentJoinPlugin"),
    Module(
        "aggs-matrix-stats",
        "aggs-matrix-stats-client",
        "org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin",
    ),
    Module("reindex", "reindex-client", "org.opensearch.index.reindex.ReindexPlugin"),
)


_DESCRIPTOR = """description={name} module, assembled by harden
version={version}
name={name}
classname={classname}
java.version=11
opensearch.version={version}
extended.plugins={extends}
has.native.controller=false
"""

_KEYSTORE_JAVA = """
import java.nio.file.Path;
import org.opensearch.common.settings.KeyStoreWrapper;
public class MakeKeystore {
    public static void main(String[] args) throws Exception {
        KeyStoreWrapper.create().save(Path.of(args[0]), new char[0]);
    }
}
"""


def _mvn_copy(name: str, deps: list[tuple[str, str, str]], out: Path, work: Path) -> None:
    pom_file = work / f"{name}.xml"
    pom_file.write_text(pom(name, deps))
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom_file),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={out}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )


def _assemble(home: Path, work: Path) -> None:
    lib = home / "lib"
    _mvn_copy(
        "server",
        [
            ("org.opensearch", "opensearch", OPENSEARCH_VERSION),
            ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
            ("org.opensearch", "opensearch-plugin-classloader", PLUGIN_CLASSLOADER_VERSION),
        ],
        lib,
        work,
    )
    if not (lib / f"opensearch-{OPENSEARCH_VERSION}.jar").is_file():
        raise HardenError(f"maven gave no opensearch-{OPENSEARCH_VERSION}.jar")
    in_lib = {p.name for p in lib.glob("*.jar")}
    for module in MODULES:
        target = home / "modules" / module.name
        _mvn_copy(module.name, [("org.opensearch.plugin", module.artifact, OPENSEARCH_VERSION)], target, work)
        shared = in_lib | (
            {p.name for p in (home / "modules" / module.extends).glob("*.jar")} if module.extends else set()
        )
        for jar in target.glob("*.jar"):
            if jar.name in shared:
                jar.unlink()  # the server's, or the extended module's: loaded once
        (target / "plugin-descriptor.properties").write_text(
            _DESCRIPTOR.format(
                name=module.name, version=OPENSEARCH_VERSION, classname=module.classname, extends=module.extends
            )
        )
        if module.permissions:
            grants = "".join(f"  permission {p};\n" for p in module.permissions)
            (target / "plugin-security.policy").write_text(f"grant {{\n{grants}}};\n")
    zips = work / "zips"
    copy_artifact(f"org.opensearch.plugin:opensearch-security:{SECURITY_PLUGIN_VERSION}:zip", zips)
    plugin = home / "plugins" / "opensearch-security"
    with zipfile.ZipFile(next(zips.glob("opensearch-security-*.zip"))) as zf:
        zf.extractall(plugin)
    if not (plugin / "plugin-descriptor.properties").is_file():
        raise HardenError("the opensearch-security zip has no plugin-descriptor.properties")
    # its demo installer and sample users (admin:admin) are never to be used: not shipped at all
    for demo in plugin.glob("tools/install_demo_configuration.*"):
        demo.unlink()
    shutil.rmtree(plugin / "config")
    (home / "bin").mkdir()  # the server requires it; the role runs java directly
    config = home / "config"
    config.mkdir()
    source = work / "MakeKeystore.java"
    source.write_text(_KEYSTORE_JAVA)
    subprocess.run(["java", "-cp", f"{lib}/*", str(source), str(config)], check=True)


def opensearch_tarball(target: Path) -> Path:
    """``opensearch-<version>.tgz`` in ``target``'s directory, built once."""
    if target.is_file():
        return target
    top = target.name.removesuffix(".tgz")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / top
        home.mkdir()
        work = Path(tmp) / "work"
        work.mkdir()
        _assemble(home, work)
        write_tarball(target, ((path, f"{top}/{path.relative_to(home)}") for path in sorted(home.rglob("*"))))
        shutil.rmtree(work, ignore_errors=True)
    return target
