"""Grading a whole class: submissions in (layout), grades and reports out (gradebook, report),
with late-day policies, similarity clusters and a Dask route for big classes."""
