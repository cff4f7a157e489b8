"""Filter kafka_node_ids: the role's node ids, from the same function harden kafka status uses.

    {{ groups['kafka'] | kafka_node_ids(groups['kafka_controllers']) }}  ->  {host: id}
"""

from __future__ import annotations

import importlib.util
import os

_TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils", "kafka_tools.py")


def _tools():
    spec = importlib.util.spec_from_file_location("harden_kafka_tools_filters", _TOOLS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kafka_node_ids(brokers, controllers):
    return _tools().node_ids(list(brokers), list(controllers))


class FilterModule:
    def filters(self):
        return {"kafka_node_ids": kafka_node_ids}
