"""Cadence on Microsoft Teams."""
