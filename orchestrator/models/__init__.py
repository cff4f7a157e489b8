"""Pydantic models: the single source of truth for every role variable."""
