"""CloudWatch alarm state changes: one normalised model for every delivery path, runbooks and remediation."""
