"""Site-wide pages: the front door, language choice, health check."""
