"""Product search: Chinese and English, lexical + semantic, query understanding, visual search.

See docs/search.md. The served object is :class:`ProductSearch` (registry kind ``search``).
"""

from shopmind.search.service import Filters, Hit, ProductSearch, SearchResponse

__all__ = ["Filters", "Hit", "ProductSearch", "SearchResponse"]
