"""Gradescope's test visibilities: a light module, so that the CLI can offer the choice without
importing the report writers (jinja2) for every command."""

VISIBILITY = "visible"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
# The CLI's documented variable for --gradescope-visibility (the bundle's run_autograder sets it).
VISIBILITY_ENV = "GRADE_GRADESCOPE_VISIBILITY"
