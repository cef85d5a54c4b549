"""aioec2: an asyncio-native Amazon EC2 SDK."""

from __future__ import annotations

from aioec2.config import Config
from aioec2.credentials import Credentials
from aioec2.session import Session

__all__ = ["Config", "Credentials", "Session"]
__version__ = "0.1.0.dev0"
