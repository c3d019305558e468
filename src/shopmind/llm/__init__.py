"""Optional LLM phrasing of grounded answers (see :mod:`shopmind.llm.phrasing`)."""

from shopmind.llm.phrasing import (
    Draft,
    OpenAICompatiblePhraser,
    Phrased,
    Phraser,
    TemplatePhraser,
    make_phraser,
    ungrounded_tokens,
)

__all__ = [
    "Draft",
    "OpenAICompatiblePhraser",
    "Phrased",
    "Phraser",
    "TemplatePhraser",
    "make_phraser",
    "ungrounded_tokens",
]
