"""The app_credential module's pure part: the env file podman reads, and what it refuses."""

from __future__ import annotations

import pytest

from orchestrator.paths import ROLES_DIR
from tests.unit.loading import load_file

MODULE = load_file(ROLES_DIR / "app_services" / "library" / "app_credential.py", "harden_test_app_credential")


def test_the_env_file_is_one_literal_line_per_variable_sorted() -> None:
    # podman takes what follows the first '=' literally: no quotes, no $ expansion to escape
    text = MODULE.render({"B": 'x"y$z=1', "A": "a b"})
    assert text == 'A=a b\nB=x"y$z=1\n'
    assert MODULE.parse(text) == {"A": "a b", "B": 'x"y$z=1'}


@pytest.mark.parametrize("variables", [{"A": "one\ntwo"}, {"A-B": "x"}, {"A": "x\0"}])
def test_a_value_over_two_lines_or_a_bad_name_is_refused_without_its_value(variables: dict[str, str]) -> None:
    with pytest.raises(ValueError) as caught:
        MODULE.render(variables)
    (name,) = variables
    assert name in str(caught.value) and variables[name] not in str(caught.value)
