"""Shared layer of the image generator backend: configuration, models, repositories, services, API glue."""

__version__ = "0.1.0"
