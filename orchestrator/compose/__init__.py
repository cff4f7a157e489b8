"""`harden compose`: check a docker-compose project against the app services policy, and fix it.

``policy`` (the policy model), ``checks`` (one check per finding ID), ``fix`` (the rewrite),
``document`` (round-trip YAML: comments and order survive), ``report`` (text, markdown, json)
and ``cli`` (the click group).
"""
