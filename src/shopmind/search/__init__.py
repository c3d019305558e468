"""Product search: Chinese and English, lexical + semantic, query understanding, visual search.

See docs/search.md. The served object is :class:`ProductSearch` (registry kind ``search``).
"""

# onnxruntime before usearch, always: loaded the other way round their C++ runtimes clash and the
# process dies (a segfault seen with `import usearch.index; import onnxruntime`).
import onnxruntime  # noqa: F401

from shopmind.search.service import Filters, Hit, ProductSearch, SearchResponse

__all__ = ["Filters", "Hit", "ProductSearch", "SearchResponse"]
