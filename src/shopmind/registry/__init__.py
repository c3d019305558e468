"""Versioned model artifacts per shop and model kind, written atomically."""

from shopmind.registry.core import ModelRegistry, ModelVersion

__all__ = ["ModelRegistry", "ModelVersion"]
