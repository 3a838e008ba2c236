"""A fake Kubernetes API server for the emulator's EKS clusters (see server.py)."""

from .server import KubeFake
from .server import check_token
from .server import get_fake
from .server import running_fake

__all__ = ["KubeFake", "check_token", "get_fake", "running_fake"]
