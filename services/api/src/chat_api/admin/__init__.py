"""What the service's operators may do, until the organisation's admin view (with roles from the identity
provider) takes it over: for now, who is an operator is ADMIN_EMAILS, and all they may do is export feedback."""
