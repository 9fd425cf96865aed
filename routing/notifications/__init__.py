"""Telling people and systems what happened: the outbox, its channels and its messages."""
