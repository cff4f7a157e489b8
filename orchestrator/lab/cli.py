"""`harden lab`: the bundled lab of real Debian hosts on this machine."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from orchestrator.lab.config import load_lab_config
from orchestrator.lab.manager import HostStatus

ENV_OPTION = click.option("--env", "env_name", default="lab", show_default=True, help="Lab environment.")


def _table(rows: list[HostStatus]) -> Table:
    table = Table("host", "address", "pid", "state")
    for r in rows:
        colour = "green" if r.state == "running" else "yellow"
        table.add_row(r.name, r.address, str(r.pid or "-"), f"[{colour}]{r.state}")
    return table


@click.group()
def lab() -> None:
    """Manage the bundled lab: real Debian 12 hosts (systemd-nspawn, one network namespace each).

    \b
    Examples:
      sudo harden lab up
      harden lab ssh data-1
      harden lab down --purge
    """


@lab.command()
@ENV_OPTION
def up(env_name: str) -> None:
    """Create and boot every host of the lab inventory (safe to re-run)."""
    from orchestrator.lab.manager import up as lab_up

    started = time.monotonic()
    rows, image = lab_up(load_lab_config(env_name))
    Console().print(_table(rows))
    click.echo(f"lab {env_name} up in {time.monotonic() - started:.1f}s (image: {image})")


@lab.command()
@ENV_OPTION
@click.option("--purge", is_flag=True, help="Also drop the cached base image.")
def down(env_name: str, purge: bool) -> None:
    """Stop and remove every host, mount, namespace, cgroup and forwarder of the lab."""
    from orchestrator.lab.image import purge_images
    from orchestrator.lab.manager import down as lab_down

    lab_down(load_lab_config(env_name))
    if purge:
        purge_images()
    click.echo(f"lab {env_name} down" + (" (image cache purged)" if purge else ""))


@lab.command()
@ENV_OPTION
def status(env_name: str) -> None:
    """Show each lab host's address, PID and systemd state."""
    from orchestrator.lab.manager import status as lab_status

    Console().print(_table(lab_status(load_lab_config(env_name))))


@lab.command(context_settings={"ignore_unknown_options": True})
@ENV_OPTION
@click.argument("host")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def ssh(env_name: str, host: str, command: tuple[str, ...]) -> None:
    """Open a shell on a lab host, or run COMMAND there.

    \b
    Examples:
      harden lab ssh data-1
      harden lab ssh data-1 systemctl status
    """
    from orchestrator.lab.manager import ssh_command

    config = load_lab_config(env_name)
    cmd = ssh_command(config, config.host(host), *command)
    os.execvp(cmd[0], cmd)


@lab.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to gather them (default /var/cache/harden/artifacts).",
)
@click.option("--no-kafka", is_flag=True, help="Skip the Kafka jars (the slowest to fetch).")
def artifacts(directory: Path | None, no_kafka: bool) -> None:
    """Gather the bao, traefik, Patroni and Kafka artifacts that roles install from a local path.

    \b
    Examples:
      harden lab artifacts
      harden lab artifacts --dir /srv/artifacts --no-kafka
    """
    from orchestrator.lab.artifacts import gather
    from orchestrator.paths import ARTIFACTS_DIR

    target = directory or ARTIFACTS_DIR
    manifest = gather(target, kafka=not no_kafka)
    table = Table("artifact", "version", "path", "sha256")
    for name, item in manifest.items():
        table.add_row(name, item["version"], item["path"], item["sha256"][:16])
    Console().print(table)
