"""Evaluation: question sets, metrics, retrieval/answer runners and benchmarks."""
