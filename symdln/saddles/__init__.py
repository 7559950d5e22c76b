"""Saddle visits along trajectories."""

from .visits import SaddleVisit as SaddleVisit
from .visits import accelerated_time as accelerated_time
from .visits import detect_visits as detect_visits

__all__ = ["SaddleVisit", "accelerated_time", "detect_visits"]
