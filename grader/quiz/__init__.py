"""The concept quiz: a question bank (data), answer keys computed in the sandbox, the flow.

`grade quiz` is `grader.cli.quiz.quiz`; its results are `ExerciseResult`s with ids
`quiz:<topic>` (`quiz_results`), kept in `<workspace>/.grade/quiz.json` (`quiz_progress`).
"""

from grader.quiz.flow import quiz_progress, quiz_results, remember_quiz

__all__ = ["quiz_progress", "quiz_results", "remember_quiz"]
