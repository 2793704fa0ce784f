"""Courses: authoring with uploads, review before publish, assignment, learning and study hours."""
