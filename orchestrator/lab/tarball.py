"""A gzipped tarball of local files, owned by root with mtime 0, written under a partial name
and renamed when complete (the artifacts roles unpack)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterable
from pathlib import Path


def write_tarball(target: Path, members: Iterable[tuple[Path, str]]) -> Path:
    """Each (path, name in the archive), in the order given; directories as entries of their own."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for path, arcname in members:
            info = tar.gettarinfo(str(path), arcname=arcname)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if path.is_file():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    partial.rename(target)
    return target
