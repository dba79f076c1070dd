"""The approval policy engine: pure domain, in the shape of palantir/policy-bot.

It imports no git, GitHub or command-line code: everything it needs about a change
arrives in a :class:`~opsascode.policy.context.RuleContext`, so every rule can be
tested with plain values. Evaluation returns a :class:`~opsascode.policy.result.Result`
tree with an ordered status, a sentence for every predicate, and errors stored in
the result instead of raised.
"""
