"""Pure decisions: no boto3, no Slack, no clock reads (time is passed in)."""
