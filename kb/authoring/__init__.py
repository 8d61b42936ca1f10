"""Authoring tools: render `kb/sources/*.yaml` into `kb/library/` and check the question set."""
