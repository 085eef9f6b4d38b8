"""Compute next to the data: projects, jobs on executors (local sandbox, Slurm), quotas.

The airlock (output checking before release) lives in ``airlock.py`` and ``disclosure.py``.
"""
