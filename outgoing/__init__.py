"""What the server sends out: the addresses outgoing requests may reach, and the secrets
that sign them. Plain functions over settings and the standard library, imported by the
models that hold URLs and secrets and by the transports that send; it imports no app."""
