"""What the site and base views share."""
from learning_app.actions import perform as guard

__all__ = ["guard"]
