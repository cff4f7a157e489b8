"""Shared building blocks for the variable models: strict models, Vault references, secrets."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

VAULT_REF_RE = re.compile(r"^vault:(?P<path>[A-Za-z0-9_.\-/]+/data/[A-Za-z0-9_.\-/]+)#(?P<key>[A-Za-z0-9_.\-]+)$")


class StrictModel(BaseModel):
    """Unknown keys are errors; values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def cross_field_error(key: str, message: str) -> PydanticCustomError:
    """An error from a rule that spans several fields, attributed to the field to change."""
    return PydanticCustomError("cross_field", "{message}", {"key": key, "message": message})


def _check_vault_ref(value: Any) -> Any:
    if isinstance(value, str) and not VAULT_REF_RE.match(value):
        raise PydanticCustomError("vault_ref", "not a Vault reference; expected 'vault:<mount>/data/<path>#<key>'")
    return value


VaultRef = Annotated[str, BeforeValidator(_check_vault_ref)]


class GenerateSpec(StrictModel):
    """Create the secret in Vault when it is missing; never change it afterwards."""

    length: int = Field(32, ge=16, le=128, description="Number of characters.")
    charset: Literal["alnum", "hex", "urlsafe", "kafka_uuid"] = Field(
        "alnum", description="Alphabet to draw from (kafka_uuid: 16 random bytes in base64url, length ignored)."
    )
    confidential: bool = Field(
        True,
        description="False for an identifier kept in Vault that the service itself shows to every client "
        "(Kafka's cluster id, in its logs and its metadata): leak checks do not look for it.",
    )


class SecretSpec(StrictModel):
    """A secret held in Vault: an explicit reference, generated on first apply, or both."""

    vault: VaultRef | None = Field(None, description="Where the secret lives; defaults to a per-role path.")
    generate: GenerateSpec | None = Field(None, description="Create the secret when it is missing.")


def _check_secret(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("vault:"):
            _check_vault_ref(value)
            return {"vault": value}
        raise PydanticCustomError(
            "literal_secret",
            "literal secret values are not allowed; use 'vault:<mount>/data/<path>#<key>' or {generate: {length: 32}}",
        )
    if isinstance(value, dict) and not value:
        raise PydanticCustomError("empty_secret", "a secret needs 'vault' or 'generate'")
    return value


Secret = Annotated[SecretSpec, BeforeValidator(_check_secret)]


def generated_secret() -> Any:
    """Default for secret variables: generated into Vault on first apply."""
    return Field(default_factory=lambda: SecretSpec(generate=GenerateSpec()))


Port = Annotated[int, Field(ge=1, le=65535)]
Hostname = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")]
Size = Annotated[str, Field(pattern=r"^[0-9]+[KMGT]?$")]
