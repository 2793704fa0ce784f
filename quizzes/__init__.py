"""Quizzes: question banks, import, timed attempts, grading, daily practice."""
