"""Every database query of the server lives in this package, one module per table family.

Functions take an open SQLModel ``Session`` (the caller owns the transaction, see
``vault_server.database``) and return table rows or wire models. Domain outcomes that must abort
the transaction (a stale write) are raised as ``vault_server.errors.ApiError`` subclasses.
"""
