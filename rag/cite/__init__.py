"""Citation lookup: the sentences that state a pasted claim, each judged, and the verdict."""
