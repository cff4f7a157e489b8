"""What a revision records of a role's variables: never a secret, always enough to restore them."""

from __future__ import annotations

import json

from orchestrator.revisions.store import public_vars
from orchestrator.roles.postgres_ha.model import PostgresHaVars

REF = "vault:secret/data/shared/db#superuser"


def test_explicit_vault_references_survive_a_round_trip() -> None:
    model = PostgresHaVars.model_validate({"postgres_ha_superuser_password": REF})
    recorded = json.loads(json.dumps(public_vars({"data-1": model})))
    restored = PostgresHaVars.model_validate(recorded["data-1"])
    assert restored.postgres_ha_superuser_password.vault == REF  # not the generated default path
    assert restored.postgres_ha_superuser_password.generate is None
    assert restored == model
