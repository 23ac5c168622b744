"""Attachments (CHAT-10): images and PDF in a conversation, checked by content, kept in one store."""
