"""Sponsors: tiers, the consent-based recruitment database, the portal and API (features arrive with their issues)."""
