"""Reference solutions of Module 07's exercises, as importable modules.

Each module holds, verbatim, the source notebook's solution cell of its exercise (with its
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers); tests/test_reference.py fails when
the two drift apart.
"""
