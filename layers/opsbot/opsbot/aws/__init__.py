"""Adapters over AWS services. Only this package (and ``opsbot.dependencies``) imports boto3."""
