"""E-mail notifications (DOMAIN §6): who gets what, how it reads, and sending it once.

- `selectors`, `admin_selectors`: the recipients of each kind of mail and what goes in
  it, read in a constant number of queries whatever the number of people.
- `rendering`: one message per recipient in their language, plain text and HTML.
- `claims`: each mail claims a `NotificationSent` row before it is sent, so a retried
  Celery task or a repeated beat run never sends the same mail twice.
- `services`: the send services, one per kind of mail.
- `enqueue`: what the document services call when tasks start; it queues the new-task
  mail once the transaction commits, never inside it.
"""
