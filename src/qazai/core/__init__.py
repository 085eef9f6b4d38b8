"""Shared kernel: errors, ids, clock, enums, multilingual text. Imports nothing else of ours."""
