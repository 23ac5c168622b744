"""Storing the widget's event batches that the gateway accepted (`track.batch` events), many in one transaction.

- `consumer`: tracking's consumer of `track.batch` (up to 100 events at a time), each stored once whatever
  the redeliveries (`tracking_processed_events`); events dropped after the 202 are counted by reason.
- `writer`: one transaction's reads and writes, through the repository.
- `plan`: what a batch changes, worked out in memory (unit-tested without a database).
"""
