"""The operations core: every change the bot makes runs through ``runner.OperationRunner``."""
