"""Customer segments (SEG-1, SEG-2): named classes of visitors, per account, defined by the rules' condition
tree over behaviour and customer data, in order (first match wins: a visitor is in one segment or none).

- `schemas.py`: a segment's JSON (`SegmentDefinition`) and the API's bodies.
- `defaults.py`: the four editable defaults made at an account's first use (most valuable, most potential,
  intermediate, low potential).
- `repository.py`, `book.py`: the account's segments stored, listed, edited, moved (one transaction each).
- `classify.py`: an account's segments compiled once per version; a visitor's segment and when time alone
  could change it.
- `live.py`: the live rules assign each visitor's segment at every evaluation and publish
  `visitor.segment_changed` through the rules' outbox when it changes.
- `preview.py`: which live visitors a definition (saved or not) matches now.
"""
