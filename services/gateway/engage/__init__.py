"""Invitations on the visitor's screen (ENG-2, EMB-9): offered by an operator's call or a rule, shown by the
widget over the visitor's live socket, answered there, and told to the other services as durable events.
See docs/architecture.md (Invitations)."""
