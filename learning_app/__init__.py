"""党员学习平台: the application package."""
from .factory import create_app

__all__ = ["create_app"]
