"""Escaping untrusted text for each medium it reaches."""

from __future__ import annotations


def workflow_data(text: str) -> str:
    """Escape the message part of a GitHub workflow command (``::error ...::DATA``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """Escape a property value of a workflow command (``file=...,line=...``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
