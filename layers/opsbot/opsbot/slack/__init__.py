"""Slack entry adapter: Bolt app, credentials and Block Kit views."""
