"""Where role secrets live, and how an environment from before the move is migrated."""

from __future__ import annotations

from orchestrator.models.base import GenerateSpec
from orchestrator.secrets.kv import KvRef
from orchestrator.secrets.resolver import Resolver, default_ref, legacy_ref


class MemoryStore:
    """KvStore's read / put_if_missing / remove_key over a dict (no Vault in unit tests)."""

    def __init__(self, data: dict[tuple[str, str], dict[str, str]]) -> None:
        self.data = data

    def read(self, ref: KvRef) -> str | None:
        return self.data.get((ref.mount, ref.path), {}).get(ref.key)

    def put_if_missing(self, ref: KvRef, value: str) -> str:
        return self.data.setdefault((ref.mount, ref.path), {}).setdefault(ref.key, value)

    def remove_key(self, ref: KvRef) -> None:
        self.data.get((ref.mount, ref.path), {}).pop(ref.key, None)


def test_role_secrets_live_outside_every_service_path() -> None:
    ref = default_ref("postgres_ha", "postgres_ha_superuser_password")
    assert (ref.path, ref.key) == ("harden/roles/postgres_ha", "superuser_password")
    assert legacy_ref(ref) == KvRef("secret", "postgres", "superuser_password")
    assert legacy_ref(KvRef("secret", "orders", "jwt")) is None


def test_apply_moves_a_legacy_secret_and_plan_only_reads_it() -> None:
    store = MemoryStore({("secret", "postgres"): {"superuser_password": "old-value-0123456789", "app": "x"}})
    ref = default_ref("postgres_ha", "postgres_ha_superuser_password")
    planned = Resolver(store, check=True).value(ref, GenerateSpec())  # type: ignore[arg-type]
    assert planned == "old-value-0123456789"
    assert store.read(ref) is None  # plan changes nothing
    applied = Resolver(store, check=False).value(ref, GenerateSpec())  # type: ignore[arg-type]
    assert applied == "old-value-0123456789"  # the same password: nothing to rotate
    assert store.read(ref) == "old-value-0123456789"
    assert store.data[("secret", "postgres")] == {"app": "x"}  # the app's path keeps only its own


def test_only_the_secret_leaves_of_a_list_are_redacted() -> None:
    """A list of users holds names and topic prefixes beside each password: only the passwords
    are secret (masking the name `orders` would also mask `orders.legacy` in every plan)."""
    from orchestrator.roles.kafka.model import KafkaVars
    from orchestrator.secrets.channel import SecretChannel
    from orchestrator.secrets.resolver import fill_channel

    model = KafkaVars.model_validate({"kafka_users": [{"name": "orders", "topic_prefixes": ["orders."]}]})
    channel = SecretChannel()
    fill_channel(channel, "kafka", {"data-1": model}, Resolver(None, check=True))
    secrets = channel.values()
    assert len(secrets) == 4, secrets  # the user's password, admin and keystore passwords, cluster id
    assert not {"orders", "orders.", "read", "write"} & set(secrets)


def test_references_name_every_secret_of_a_variable_and_nothing_else() -> None:
    from orchestrator.roles.kafka.model import KafkaVars
    from orchestrator.secrets.resolver import references_in, secret_references

    model = KafkaVars.model_validate({"kafka_users": [{"name": "orders", "topic_prefixes": ["orders."]}]})
    refs = secret_references("kafka", {"data-1": model})["data-1"]
    assert sorted(refs) == ["kafka_admin_password", "kafka_cluster_id", "kafka_keystore_password", "kafka_users"]
    assert refs["kafka_users"][0]["name"] == "orders"  # the names stay, only the password is a reference
    assert [str(r) for r in references_in(refs["kafka_users"])] == [
        "vault:secret/data/harden/roles/kafka#users_orders_password"
    ]
