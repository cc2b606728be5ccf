"""Capacity as intents: who wants how many tasks, from when until when; materialised as scheduled actions."""
