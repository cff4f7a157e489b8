"""harden: production hardening for the data and edge tier of a self-hosted platform."""

__version__ = "0.1.0"
