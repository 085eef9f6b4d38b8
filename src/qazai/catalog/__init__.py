"""Catalog: search, metadata exports (Croissant, Frictionless, DCAT), CKAN actions, the query service."""
