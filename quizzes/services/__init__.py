"""Writes for quizzes, one module per concern; every service flushes and the caller commits."""
