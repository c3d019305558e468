"""shopmind: an offline-first AI engine for e-commerce.

``import shopmind`` stays light: heavy parts (models, the API, the console) are imported by the
modules that need them.
"""

from shopmind.errors import ShopmindError

__version__ = "0.1.0"
__all__ = ["ShopmindError", "__version__"]
