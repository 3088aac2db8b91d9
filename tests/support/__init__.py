"""Helpers for tests: LINE-shaped webhooks, a hand-driven clock, the test credentials."""

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
