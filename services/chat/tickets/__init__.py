"""Tickets (OFF-1..3): offline messages and chats the visitor would not wait for, answered by email."""
