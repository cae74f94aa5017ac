"""Grading harness for Module 07: Regularization Techniques (Dropout, Batch Normalization)."""

__version__ = "0.1.0"
