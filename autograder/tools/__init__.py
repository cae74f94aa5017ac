"""Benchmarks and samples: the batch against serial nbgrader (``bench_batch``), the retraining's
overhead (``bench_retrain``), the GPU figures in one prepared run (``gpu_bench``), Exercise 3's
margins (``margins``), and the sample submissions and generated classes (``sample_class``). They
may import anything; only the command line and the tests import them (a test holds it)."""
