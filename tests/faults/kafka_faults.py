"""Kafka clients on the lab's hosts, for the kafka role's tests and bench.

Clients are Kafka's own tools, run with the role's Java and jars on a lab host. A client's
SCRAM password reaches the host on ssh's stdin into a 0600 file under /run, removed when the
client exits: never argv, never the test's disk.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.lab.config import LabConfig
from orchestrator.lab.manager import ssh_command
from orchestrator.roles.kafka.ops import HOME, tools
from orchestrator.validation import Environment
from tests.faults.lab_ssh import heal, nft, ssh
from tests.faults.role_users import role_user_passwords

CA = "/etc/kafka/tls/ca.crt"
CLIENT_PORT = 9093


def java(tool: str) -> str:
    """The shell command that starts one Kafka tool, as the role's modules start it."""
    return shlex.join(tools().java_command(HOME, tool))


CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer"
TOPICS = tools().TOPICS  # the role's own names for the tools it runs
CONFIGS = tools().CONFIGS
QUORUM = tools().QUORUM
BROKERS = ("data-1", "data-2", "data-3")


@dataclass(frozen=True)
class KafkaUsers:
    """Passwords of the role's SCRAM principals, as apply stored them in Vault."""

    passwords: dict[str, str]


def users(env: Environment) -> KafkaUsers:
    return KafkaUsers(role_user_passwords(env, "kafka"))


def client_properties(user: str, password: str) -> str:
    jaas = f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{password}";'
    return (
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
        f"sasl.jaas.config={jaas}\nssl.truststore.type=PEM\nssl.truststore.location={CA}\n"
    )


def address(lab: LabConfig, host: str) -> str:
    return lab.host(host).address


def bootstrap_all(lab: LabConfig) -> str:
    """Every broker's client listener, as an app's bootstrap list names them (a client on the app
    host has no broker of its own to ask)."""
    return ",".join(f"{address(lab, h)}:{CLIENT_PORT}" for h in BROKERS)


def run_client(
    lab: LabConfig, host: str, properties: str, command: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` on ``host``; ``$PROPS`` in it names the client's properties file."""
    script = (
        'umask 077; PROPS=$(mktemp /run/kafka-client.XXXXXX); trap \'rm -f "$PROPS"\' EXIT; cat > "$PROPS"; ' + command
    )
    return subprocess.run(
        ssh_command(lab, lab.host(host), "sh", "-c", shlex.quote(script)),
        input=properties,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def produce(lab: LabConfig, host: str, props: str, topic: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    bootstrap = bootstrap_all(lab)
    payload = shlex.quote("\n".join(lines) + "\n")
    return run_client(
        lab,
        host,
        props,
        f"printf %s {payload} | {java(CONSOLE_PRODUCER)} --bootstrap-server {bootstrap} "
        f'--command-config "$PROPS" --topic {topic} --command-property acks=all',
    )


def consume(
    lab: LabConfig, host: str, props: str, topic: str, group: str, count: int, timeout_ms: int = 20000
) -> subprocess.CompletedProcess[str]:
    bootstrap = bootstrap_all(lab)
    return run_client(
        lab,
        host,
        props,
        f'{java(CONSOLE_CONSUMER)} --bootstrap-server {bootstrap} --command-config "$PROPS" --topic {topic} '
        f"--group {group} --from-beginning --max-messages {count} --timeout-ms {timeout_ms}",
    )


# Kafka's ApiVersions request (v0, correlation id 1): a Kafka listener that speaks PLAINTEXT
# answers it with a frame that carries that correlation id; a TLS listener does not.
PROBE = r"""
import json, socket, ssl, struct, sys
addr, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(",")]
body = struct.pack(">hhih", 18, 0, 1, -1)
request = struct.pack(">i", len(body)) + body

def ask(port, tls):
    try:
        s = socket.create_connection((addr, port), timeout=5)
        if tls:
            s = ssl.create_default_context(cafile=sys.argv[3]).wrap_socket(s, server_hostname=addr)
        s.sendall(request)
        data = b""
        while len(data) < 8:
            chunk = s.recv(8 - len(data))
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError) as exc:
        return "error: " + type(exc).__name__
    if len(data) == 8 and struct.unpack(">i", data[4:8])[0] == 1:
        return "kafka"
    return "closed: " + data.hex()

print(json.dumps({"plaintext": {p: ask(p, False) for p in ports}, "tls": {p: ask(p, True) for p in ports}}))
"""


def admin(lab: LabConfig, host: str, users: KafkaUsers, tool: str, args: str) -> subprocess.CompletedProcess[str]:
    """One of Kafka's admin tools as the admin super user."""
    bootstrap = f"{address(lab, host)}:{CLIENT_PORT}"
    props = client_properties("admin", users.passwords["admin"])
    command = f'{java(tool)} --bootstrap-server {bootstrap} --command-config "$PROPS" {args}'
    return run_client(lab, host, props, command)


def broker_config(lab: LabConfig, host: str, users: KafkaUsers, node: int, key: str) -> str:
    """A broker's live value of ``key`` (ConfigCommand --describe --all)."""
    done = admin(lab, host, users, CONFIGS, f"--describe --entity-type brokers --entity-name {node} --all")
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        name, _, rest = line.strip().partition("=")
        if name == key:
            return rest.split(" ", 1)[0]
    raise AssertionError(f"{key} is not in broker {node}'s configs:\n{done.stdout}")


VERIFIABLE_PRODUCER = "org.apache.kafka.tools.VerifiableProducer"
# the writer's producer: idempotent, every write acknowledged by the in-sync replicas
PRODUCER_SETTINGS = "enable.idempotence=true\nacks=all\nretries=2147483647\nlinger.ms=0\n"


@dataclass
class ProduceResult:
    acked: list[str]  # values Kafka acknowledged, in order
    ack_ms: list[int]  # the producer's timestamp of each acknowledgement
    errors: list[str]

    def stall_s(self) -> float:
        """The longest time between two acknowledgements (the producer's stall)."""
        gaps = [b - a for a, b in zip(self.ack_ms, self.ack_ms[1:], strict=False)]
        return max(gaps, default=0) / 1000


def run_producer(
    lab: LabConfig,
    host: str,
    props: str,
    topic: str,
    seconds: float,
    rate: int,
    fault: Callable[[], None] | None = None,
    fault_after: float = 3.0,
    prefix: int = 0,
    stop_after_fault: float | None = None,
) -> ProduceResult:
    """Kafka's VerifiableProducer on ``host`` at ``rate`` messages/s for about ``seconds``;
    ``fault`` runs ``fault_after`` seconds in. Every acknowledged value ("<prefix>.<n>") is recorded.
    With ``stop_after_fault``, the producer is stopped (SIGTERM: it flushes and reports what was
    acknowledged) that many seconds after the fault returns, however long the fault took."""
    bootstrap = bootstrap_all(lab)
    command = (
        f'{java(VERIFIABLE_PRODUCER)} --bootstrap-server {bootstrap} --command-config "$PROPS" '
        f"--topic {topic} --max-messages {int(seconds * rate)} --throughput {rate} --acks -1 "
        f"--value-prefix {prefix}"
    )
    script = (
        'umask 077; PROPS=$(mktemp /run/kafka-client.XXXXXX); trap \'rm -f "$PROPS"\' EXIT; cat > "$PROPS"; ' + command
    )
    proc = subprocess.Popen(
        ssh_command(lab, lab.host(host), "sh", "-c", shlex.quote(script)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    injector = None
    if fault is not None:

        def inject() -> None:
            time.sleep(fault_after)
            try:
                fault()
            finally:
                if stop_after_fault is not None:
                    time.sleep(stop_after_fault)
                    only_the_jvm = shlex.quote(f"^java .*{VERIFIABLE_PRODUCER}")
                    subprocess.run(
                        ssh_command(lab, lab.host(host), "pkill", "-TERM", "-f", only_the_jvm),
                        capture_output=True,
                        timeout=60,
                        check=False,
                    )

        injector = threading.Thread(target=inject, daemon=True)
        injector.start()
    out, err = proc.communicate(input=props + PRODUCER_SETTINGS, timeout=seconds + 600)
    if injector is not None:
        injector.join()  # a fault that outlives a failed producer must not run on into the next test
    result = ProduceResult([], [], [])
    for line in out.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("name") == "producer_send_success":
            result.acked.append(str(event["value"]))
            result.ack_ms.append(int(event["timestamp"]))
        elif event.get("name") == "producer_send_error":
            result.errors.append(str(event.get("exception", event)))
    stopped = stop_after_fault is not None and proc.returncode in (0, 143)  # 143: our SIGTERM
    assert (proc.returncode == 0 or stopped) and result.acked, f"the producer failed ({proc.returncode}): {err[-2000:]}"
    return result


READ_BACK_ATTEMPTS = 3


def read_back(
    lab: LabConfig, host: str, props: str, topic: str, group: str, expect: set[str] | None = None
) -> list[str]:
    """Every value in the topic, from the beginning, until it has been idle for 10 s.

    The console consumer's idle timeout also runs while it is still finding its group's
    coordinator: just after a fault (the coordinator's broker restarting) it can give up having
    read nothing. With ``expect``, a read that misses any of those values is taken again, by a new
    group, up to READ_BACK_ATTEMPTS reads: a message that was really lost is missing from every
    read, and the last read is returned."""
    bootstrap = bootstrap_all(lab)
    values: list[str] = []
    for attempt in range(1, READ_BACK_ATTEMPTS + 1):
        done = run_client(
            lab,
            host,
            props,
            f'{java(CONSOLE_CONSUMER)} --bootstrap-server {bootstrap} --command-config "$PROPS" --topic {topic} '
            f"--group {group}-{attempt} --from-beginning --timeout-ms 10000",
            timeout=600,
        )
        assert "Processed a total of" in done.stderr or done.stdout, done.stderr[-2000:]
        values = done.stdout.split()
        if expect is None or expect <= set(values):
            break
    return values


def partition_leader(lab: LabConfig, users: KafkaUsers, topic: str, partition: int = 0) -> int:
    for host in BROKERS:
        done = admin(lab, host, users, TOPICS, f"--describe --topic {topic}")
        if done.returncode == 0:
            return int(tools().parse_topics(done.stdout)[topic]["leaders"][partition])
    raise AssertionError(f"no broker described {topic}")


def kill_kafka(lab: LabConfig, host: str) -> None:
    """kill -9 of the broker's JVM; systemd starts it again (Restart=on-failure)."""
    subprocess.run(ssh_command(lab, lab.host(host), "systemctl", "kill", "-s", "KILL", "kafka"), check=True, timeout=60)


# --- the app host's client kit -------------------------------------------------------------------

APP_HOST = "ops-1"


def install_client(lab: LabConfig, host: str = APP_HOST, source: str = "data-1") -> None:
    """Java, Kafka's jars, the CA and the tools' log settings on an app host, as a service's
    image would carry them: the fault producer runs there, off the brokers. Done once."""
    from orchestrator.roles.kafka.model import KafkaVars

    present = subprocess.run(
        ssh_command(lab, lab.host(host), "test -e /opt/kafka/current/libs && command -v java"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if present.returncode == 0:
        return
    tarball = KafkaVars().kafka_artifact
    steps = [
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >/dev/null",
        "mkdir -p /opt/kafka /etc/kafka/tls",
    ]
    for step in steps:
        ssh(lab, host, step)
    with open(tarball, "rb") as fh:
        done = subprocess.run(
            ssh_command(lab, lab.host(host), "tar -xzf - -C /opt/kafka"), stdin=fh, capture_output=True, timeout=600
        )
    assert done.returncode == 0, done.stderr
    ssh(lab, host, "ln -sfn /opt/kafka/$(ls /opt/kafka | grep -m1 '^kafka_') /opt/kafka/current")
    for path in (CA, tools().TOOLS_LOG4J):
        content = subprocess.run(
            ssh_command(lab, lab.host(source), "cat", path), capture_output=True, timeout=60, check=True
        ).stdout
        subprocess.run(
            ssh_command(lab, lab.host(host), f"cat > {path} && chmod 0644 {path}"),
            input=content,
            capture_output=True,
            timeout=60,
            check=True,
        )


# --- network faults ----------------------------------------------------------------------------


def isolate(lab: LabConfig, host: str, peers: list[str]) -> None:
    """Drop every packet between ``host`` and ``peers``, both ways (the app host still reaches it)."""
    addresses = ", ".join(lab.host(p).address for p in peers)
    nft(
        lab,
        host,
        f"""
table inet harden_fault {{
  chain input {{ type filter hook input priority 0; ip saddr {{ {addresses} }} drop; }}
  chain output {{ type filter hook output priority 0; ip daddr {{ {addresses} }} drop; }}
}}
""",
    )


# --- the fault cases, shared by tests/integration/roles/kafka and bench/kafka_failover.py --------

ISOLATION_S = 15.0


@dataclass(frozen=True)
class FaultRun:
    case: str
    victim: str
    acked: int
    lost: int
    duplicates: int
    stall_s: float
    send_errors: int

    def line(self) -> str:
        return (
            f"fault {self.case} on {self.victim}: {self.acked} acknowledged, stall {self.stall_s:.1f} s, "
            f"lost {self.lost}, duplicates {self.duplicates}, send errors {self.send_errors}"
        )


def host_of_node(node: int) -> str:
    from orchestrator.roles.kafka.ops import node_ids

    return {n: h for h, n in node_ids(list(BROKERS), list(BROKERS)).items()}[node]


def active_controller(lab: LabConfig, users: KafkaUsers) -> str:
    for host in BROKERS:
        done = admin(lab, host, users, QUORUM, "describe --status")
        leader = tools().parse_quorum_status(done.stdout)["leader"] if done.returncode == 0 else None
        if leader is not None:
            return host_of_node(leader)
    raise AssertionError("no broker named the quorum leader")


def restarts(lab: LabConfig, host: str) -> int:
    done = subprocess.run(
        ssh_command(lab, lab.host(host), "systemctl show kafka -p NRestarts --value"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(done.stdout.strip())


def run_case(
    lab: LabConfig,
    users: KafkaUsers,
    case: str,
    topic: str,
    user: str = "orders",
    seconds: float = 20,
    rate: int = 100,
    fault: Callable[[], None] | None = None,
) -> FaultRun:
    """One fault under an idempotent acks=all producer on the app host, then every message read back.

    a: kill -9 of the topic's partition-0 leader; b: that leader cut off from the other brokers for
    ISOLATION_S, then healed; c: kill -9 of the active controller; d: ``fault`` (a rolling restart),
    the producer stopping 5 s after it returns.
    """
    install_client(lab)
    props = client_properties(user, users.passwords[user])
    victim = "-"
    if case in ("a", "b"):
        victim = host_of_node(partition_leader(lab, users, topic))
    elif case == "c":
        victim = active_controller(lab, users)
    restarted = restarts(lab, victim) if case in ("a", "c") else 0

    def cut_off() -> None:
        isolate(lab, victim, [h for h in BROKERS if h != victim])
        try:
            time.sleep(ISOLATION_S)
        finally:
            heal(lab, victim)

    kill = lambda: kill_kafka(lab, victim)  # noqa: E731
    inject = {"a": kill, "b": cut_off, "c": kill, "d": fault}[case]
    assert inject is not None, "case d needs the fault to run"
    prefix = int(time.time())  # VerifiableProducer takes a Java int
    if case == "d":
        result = run_producer(
            lab, APP_HOST, props, topic, seconds=3600, rate=rate, prefix=prefix, fault=inject, fault_after=5,
            stop_after_fault=5,
        )  # fmt: skip
    else:
        result = run_producer(
            lab, APP_HOST, props, topic, seconds=seconds, rate=rate, prefix=prefix, fault=inject, fault_after=5
        )
    everything = read_back(lab, APP_HOST, props, topic, f"{user}.check-{prefix}", expect=set(result.acked))
    back = [v for v in everything if v.startswith(f"{prefix}.")]
    if case in ("a", "c"):
        assert restarts(lab, victim) == restarted + 1, f"{victim} was not killed and restarted"
    return FaultRun(
        case=case,
        victim=victim,
        acked=len(result.acked),
        lost=len(set(result.acked) - set(back)),
        duplicates=len(back) - len(set(back)),
        stall_s=result.stall_s(),
        send_errors=len(result.errors),
    )
