"""What the service's operators may do, until the organisation's admin view: for now, export feedback. Who is
an operator is the tier (`admin: true`): from the provider's roles, or given by `set_tier` to a password
account."""
