"""24/7 customer service in Chinese and English (docs/assistant.md): intents and entities, the
shop's order and product tools, answers grounded in cited sources, hand-off to a person, an FAQ
that learns from unanswered questions.

>>> from shopmind.assistant import Normalizer
>>> Normalizer().normalize("幾多錢？")
'多少钱?'
"""

from shopmind.assistant.dialogue import Assistant, OrderView, ProductFacts, Reply, ShopTools, Source
from shopmind.assistant.entities import Entities, extract_entities
from shopmind.assistant.intents import INTENTS, IntentClassifier, IntentPrediction, load_seed
from shopmind.assistant.knowledge import KnowledgeBase, KnowledgeEntry
from shopmind.assistant.learning import QuestionCluster, cluster_questions
from shopmind.assistant.policy import ReturnDecision, ReturnPolicy
from shopmind.assistant.sentiment import anger_score
from shopmind.assistant.text import Normalizer, detect_language

__all__ = [
    "INTENTS",
    "Assistant",
    "Entities",
    "IntentClassifier",
    "IntentPrediction",
    "KnowledgeBase",
    "KnowledgeEntry",
    "Normalizer",
    "OrderView",
    "ProductFacts",
    "QuestionCluster",
    "Reply",
    "ReturnDecision",
    "ReturnPolicy",
    "ShopTools",
    "Source",
    "anger_score",
    "cluster_questions",
    "detect_language",
    "extract_entities",
    "load_seed",
]
