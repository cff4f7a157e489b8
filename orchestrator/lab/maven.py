"""The throwaway pom with which `harden lab artifacts` asks Maven for a set of jars."""

from __future__ import annotations

import subprocess
from pathlib import Path

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>harden.lab</groupId>
  <artifactId>{name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""
_DEP = "    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"


def pom(name: str, deps: list[tuple[str, str, str]]) -> str:
    """A pom named ``name`` depending on each (group, artifact, version)."""
    return _POM.format(name=name, deps="\n".join(_DEP.format(g=g, a=a, v=v) for g, a, v in deps))


def copy_artifact(coordinate: str, out: Path) -> None:
    """One artifact (group:artifact:version[:type]) into ``out``, without its dependencies."""
    subprocess.run(
        ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={coordinate}", f"-DoutputDirectory={out}"], check=True
    )
