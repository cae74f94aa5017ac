"""Batch grading of a whole class: execute (sandboxed) -> judge (trusted) -> record -> report.

Each stage is a module with plain-JSON input and output, so stages can run in other
processes or on other machines (see ``pool`` and ``ray_pool``).
"""
