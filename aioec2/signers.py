"""
Request signers for :class:`aioec2.Session`: the :class:`Signer` protocol and those shipped.

:class:`SigV4Signer` is the default. :class:`SigV2Signer` serves EC2-compatible clouds that
still speak Signature Version 2, and :class:`AnonymousSigner` sends requests unsigned. Any
object with ``requires_credentials`` and a matching ``sign`` method can be passed instead.
"""

from __future__ import annotations

from aioec2._core.signing import AnonymousSigner, Signer, SigV2Signer, SigV4Signer

__all__ = ["AnonymousSigner", "SigV2Signer", "SigV4Signer", "Signer"]
