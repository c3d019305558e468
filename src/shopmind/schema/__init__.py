"""Canonical tables (SQLAlchemy) and the API's pydantic models."""
