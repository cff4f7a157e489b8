"""`harden audit`: the production-readiness score, read from the live environment.

Checks come from the role specs and from each role's own status (found by discovery, like the
roles themselves): a role that lands adds its checks without a list to edit. Every check has a
stable ID, a weight and an area; every finding carries the evidence it saw and, when it fails, the
fix. The audit only reads: it changes nothing on the hosts, in Vault or in the repository (its
history goes to the revisions database).
"""
