"""Grading a whole class: submissions in (layout), grades and reports out (gradebook, report),
with late-day policies, similarity clusters and a Dask route for big classes.

The modules import one another in one direction only (tests/test_classroom_imports.py):

* `model`: the plain data (ClassOptions, Student, ClassResult, Policy...); imports no sibling.
* `layout` (where a student's files are), `workspace` (one student: files, hash, grading),
  `commits` (commit times, read safely), `quizzes`, `similarity`.
* `policy` (overrides, deadlines, the grade after them), then `gradebook`, then `report`.
* `dispatch` (local jobs, progress, Ctrl-C) and `cluster` (Dask tasks).
* `grading`: the orchestrator (`grade_class`, resuming, state.json) on top of them all.

Nothing here imports `grader.cli`.
"""
