"""Writes for courses, one module per concern; every service flushes and the caller commits."""
