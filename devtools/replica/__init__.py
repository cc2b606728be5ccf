"""The MyCandidate replica on moto: ``seed`` builds the system; the other modules make it keep time (the clock and
the control-plane behaviour moto does not simulate). Test support only: never shipped in the Lambda layer."""

from devtools.replica.seed import Replica, ReplicaSpec, seed_replica

__all__ = ["Replica", "ReplicaSpec", "seed_replica"]
