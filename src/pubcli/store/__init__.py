"""Answering questions of a catalogue: queries, sort orders, facets, and the cache."""
