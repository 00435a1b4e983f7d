"""classify: ActionContext -> Classification (label, confidence, reasons, scores). Pure and fast."""

from modelroute.classify.classifier import classify, classify_text
from modelroute.classify.model import Classification

__all__ = ["Classification", "classify", "classify_text"]
