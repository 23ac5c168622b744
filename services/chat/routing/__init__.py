"""The assignment engine (ROUTE-3, ROUTE-4): which operator a waiting chat is offered to, and when.

`strategies` chooses among the available members of a queue (pure); `assignment` offers every waiting chat of an
account that can be offered, under the account's routing lock; `offers` takes offers back (an expired one, those
of an operator who is no longer online) and runs the sweeper that expires them.
"""
