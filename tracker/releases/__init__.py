"""Releases: planning buckets now; lifecycle, go/no-go and notes later."""
