"""`harden compose check`, `harden compose fix` and `harden compose units`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from orchestrator.clikit import ENV_HELP, format_option

compose_option = click.option(
    "--compose",
    "compose_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The docker-compose file.",
)
policy_options = [
    click.option("--env", "env_name", default=None, help=ENV_HELP + " Its compose-policy.yml is the policy."),
    click.option(
        "--policy",
        "policy_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A policy file instead of the environment's (default: the built-in policy).",
    ),
]


def _policy(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(policy_options):
        f = option(f)
    return f


@click.group()
def compose() -> None:
    """Check a docker-compose project against the app services policy, and fix it.

    Findings have stable IDs (HR-APP-01 to HR-APP-12), which a policy can waive per service,
    with a reason. The policy: --policy FILE, else the environment's compose-policy.yml, else
    the built-in one.

    \b
    Examples:
      harden compose check --compose docker-compose.yml --env staging
      harden compose check --compose docker-compose.yml --env staging --format markdown
      harden secrets import --compose docker-compose.yml --env staging
      harden compose fix --compose docker-compose.harden.yml --env staging --diff
      harden compose fix --compose docker-compose.harden.yml --env staging
    """


@compose.command("check")
@compose_option
@_policy
@format_option("text", "markdown", "json")
def check(compose_path: Path, env_name: str | None, policy_path: Path | None, fmt: str) -> None:
    """Report every finding, per service. Exit 0: none, 2: findings, 1: error.

    Waived findings are shown with their reason and do not count.

    \b
    Examples:
      harden compose check --compose docker-compose.yml --env staging
      harden compose check --compose docker-compose.yml --policy compose-policy.yml --format json
    """
    from orchestrator.compose import document
    from orchestrator.compose.checks import check_project
    from orchestrator.compose.policy import policy_for
    from orchestrator.compose.report import EXIT_CLEAN, EXIT_FINDINGS, RENDERERS, open_findings
    from orchestrator.paths import display_path

    policy, source_of_policy = policy_for(env_name, policy_path)
    click.echo(f"policy: {source_of_policy}", err=True)
    doc = document.load(compose_path)
    findings = check_project(doc, policy)
    click.echo(RENDERERS[fmt](display_path(compose_path), len(doc["services"]), findings), nl=False)
    sys.exit(EXIT_FINDINGS if open_findings(findings) else EXIT_CLEAN)


@compose.command("fix")
@compose_option
@_policy
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: in place).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff and write nothing.")
@format_option("text", "markdown", "json")
def fix(
    compose_path: Path, env_name: str | None, policy_path: Path | None, output: Path | None, show_diff: bool, fmt: str
) -> None:
    """Rewrite the file so that it has no finding left that a rewrite can resolve.

    The file itself is rewritten, not an override: an override cannot take a literal secret or a
    published port out of the base file. Comments, key order and quoting survive. A second run
    changes nothing. Data services (postgres, redis, kafka, elasticsearch) are removed: their
    roles run them. What it cannot fix is listed with what to do.
    Exit 0: nothing left, 2: findings left, 1: error.

    \b
    Examples:
      harden compose fix --compose docker-compose.harden.yml --env staging --diff
      harden compose fix --compose docker-compose.yml --env staging --output docker-compose.hardened.yml
    """
    from orchestrator.compose.fix import fix_text
    from orchestrator.compose.policy import policy_for
    from orchestrator.compose.report import EXIT_CLEAN, EXIT_FINDINGS, RENDERERS
    from orchestrator.paths import display_path

    policy, source_of_policy = policy_for(env_name, policy_path)
    click.echo(f"policy: {source_of_policy}", err=True)
    source = display_path(compose_path)
    result = fix_text(compose_path.read_text(), source, policy)
    target = output or compose_path
    if show_diff:
        click.echo(result.diff(source), nl=False)
    elif result.changed or output:
        target.write_text(result.after)
    verb = "would fix" if show_diff else "fixed"
    where = "" if show_diff else f" in {display_path(target)}"
    click.echo(f"{verb} {len(result.fixed)} finding(s){where}", err=True)
    for removed in result.removed:
        click.echo(f"removed service {removed}; its volumes stay declared", err=True)
    left = [finding for finding, _ in result.unfixed]
    if left:
        click.echo(RENDERERS[fmt](source, result.services, left, dict(result.unfixed)), nl=False, err=show_diff)
    sys.exit(EXIT_FINDINGS if left else EXIT_CLEAN)


@compose.command("units")
@compose_option
@click.option("--project", required=True, help="The project's name: it prefixes containers, units and volumes.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for the file's ${NAME} (repeatable), e.g. APP_BACKEND_ADDRESS=10.0.5.21.",
)
@format_option("text", "json")
def units(compose_path: Path, project: str, variables: tuple[str, ...], fmt: str) -> None:
    """Print the systemd unit of each service, as Podman would run the project.

    Each service becomes one unit running `podman run` with every limit, health check and option
    of the file (run `compose fix` first). What Podman cannot be given is an error naming the key.
    Exit 0, or 1 on an error.

    \b
    Examples:
      harden compose units --compose docker-compose.harden.yml --project platform --var APP_BACKEND_ADDRESS=10.0.5.21
    """
    import json

    from orchestrator.compose import document
    from orchestrator.compose.podman import project_units, unit_text
    from orchestrator.errors import HardenError
    from orchestrator.paths import display_path

    values = {}
    for item in variables:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise HardenError(f"--var {item!r}: expected NAME=VALUE")
        values[name] = value
    source = display_path(compose_path)
    found = project_units(project, document.load(compose_path), source, values)
    if fmt == "json":
        out = [{"unit": u.unit, "service": u.service, "image": u.image, "text": unit_text(u, source)} for u in found]
        click.echo(json.dumps(out, indent=2))
        return
    for unit in found:
        click.echo(f"# --- /etc/systemd/system/{unit.unit}\n{unit_text(unit, source)}")
