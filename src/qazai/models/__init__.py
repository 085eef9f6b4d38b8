"""Ready-made models: repositories, cards, immutable versions, safety scan, lineage (issue 14)."""
