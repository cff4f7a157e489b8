"""Inventory plugin: an environment as harden validates it, for Ansible run without harden.

`harden apply` hands each role run its validated variables and its secrets itself. AWX,
ansible-navigator and plain `ansible-playbook -i inventories/<env> playbooks/site.yml` have no
harden in between: this plugin (an environment's ``inventory.harden.yml``) validates the
environment the same way, refuses it with harden's messages when it is invalid, and adds to each
host what harden would have handed its role runs:

- each variable that holds models (limits, topics, routes), with the model's defaults filled in,
  and every role variable on a host outside the role's main group (role_host_vars);
- each secret variable as a harden_secret lookup, with where Vault holds each of its secrets
  (``harden_secret_references``): names only, never a value. The lookup reads the values through
  community.hashi_vault, with the AppRole the job's environment gives (docs/awx.md).

Host variables of an inventory source outrank group_vars/, so these win over the values as written.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: harden
short_description: A harden environment's validated variables and secret references
description:
  - Validates the environment whose directory holds this file, as `harden validate` does.
  - Adds each host's validated role variables and, for secret variables, harden_secret lookups
    that read Vault through community.hashi_vault.
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [harden]
"""

import os
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:  # ansible-core 2.19: strings from a plugin are not templated unless trusted
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older ansible-core templates every string

    def trust_as_template(value: Any) -> Any:  # type: ignore[misc]
        return value


REFERENCES_VAR = "harden_secret_references"


def _trusted(value: Any) -> Any:
    """As harden's own inventory file of validated variables is: templated like group_vars/."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def environment_vars(env_dir: str) -> dict[str, dict[str, Any]]:
    """Per host, what harden would hand Ansible for every role of the environment (nothing secret)."""
    from orchestrator.engine import role_host_vars
    from orchestrator.secrets.channel import lookup_template
    from orchestrator.secrets.resolver import LOGIN_MARK, secret_references
    from orchestrator.validation import validate_environment

    env = validate_environment(env_dir)
    hosts: dict[str, dict[str, Any]] = {h: {} for h in env.inventory.hosts}
    for host in hosts:
        hosts[host]["harden_env"] = env.name
        hosts[host]["harden_env_protected"] = env.settings.protected
    for spec in env.roles(()):
        for host, values in role_host_vars(env, spec).items():
            hosts[host].update(_trusted(values))
        if spec.name == "vault":  # the role configures Vault with a token of the job's AppRole
            refs = {h: {"vault_admin_token": {LOGIN_MARK: True}} for h in spec.hosts(env.inventory)}
        else:
            refs = secret_references(spec.name, env.role_vars.get(spec.name, {}))
        for host, variables in refs.items():
            hosts[host].setdefault(REFERENCES_VAR, {}).update(variables)
            for name in variables:
                hosts[host][name] = trust_as_template(lookup_template(name))
    return hosts


class InventoryModule(BaseInventoryPlugin):
    NAME = "harden"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith((".harden.yml", ".harden.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        from orchestrator.errors import HardenError

        try:
            hosts = environment_vars(os.path.dirname(os.path.abspath(path)))
        except HardenError as exc:  # ConfigError lists every `file: key: message`
            raise AnsibleParserError(f"harden: {exc}\nno host was touched") from None
        for host, variables in hosts.items():
            self.inventory.add_host(host)
            for name, value in variables.items():
                self.inventory.set_variable(host, name, value)
