"""Grading one workspace: the run (run.py), the pytest plugin that records checks (plugin.py),
scoring and hints, and the parallel jobs that grade several exercises at once."""
