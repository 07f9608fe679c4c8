"""Helpers of the browser tests: the sample portal built once, a local HTTP server, Chromium over CDP."""
