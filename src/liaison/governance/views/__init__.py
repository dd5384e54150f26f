"""Governance pages. Thin: they parse what a person sent, call a selector or a service, and render."""
