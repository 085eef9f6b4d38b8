"""Organisations, users, memberships and roles, API tokens, web sessions; who may do what."""
