"""Precision recommendations: candidate sources, ranking, rules and explanations."""
