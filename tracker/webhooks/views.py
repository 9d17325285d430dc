"""The webhooks settings pages (an academy's managers)."""
