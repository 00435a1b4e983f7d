"""modelroute: route each editor action to the best-fit AI model, with cost and reasons."""

__version__ = "0.1.0"
