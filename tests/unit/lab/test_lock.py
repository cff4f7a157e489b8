"""Two labs coming up at once take turns on what they share (the base image, the artifacts)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from orchestrator.lab.lock import exclusive


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    lock, spans = tmp_path / "cache" / "image.lock", []

    def hold() -> None:
        with exclusive(lock):
            started = time.monotonic()
            time.sleep(0.2)
            spans.append((started, time.monotonic()))

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(spans) == 2
    first, second = sorted(spans)
    assert second[0] >= first[1]  # never both inside at once
