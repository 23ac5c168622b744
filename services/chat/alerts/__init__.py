"""Operator alerts outside the console (OPS-5): an SMS to opted-in operators when a visitor starts a chat."""
