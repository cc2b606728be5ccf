"""RDS snapshots: on demand, nightly, before elections and cutovers; retention that prunes only its own; a
residency guard."""
