"""Recipe builders and tables shared by a check (trusted) and its probe (worker side).

Objects that cannot travel to the worker (models, optimizers, functions) are built on both
sides from the same recipe: `grader.recipes.exerciseNN_topic` holds that exercise's builders
and tables. They are plain torch code with no learner code and no expected values, so both
sides may import them; a check imports its recipes from here and never imports a probe module.
"""
