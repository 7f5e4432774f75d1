package rules

// ErrInitiatedAfterExecuting: the message names a log of the executing block itself at or
// after the executing log. A log can only be executed once it exists, and within one block
// that means before the executing log: a message naming itself, or a later log of its own
// block, is invalid (whatever the log index holds once the block is indexed).
var ErrInitiatedAfterExecuting = ErrInitiatedInFuture.Derive("message names a log at or after the executing log in its own block")

// CheckSameBlockOrder applies the ordering rule to a message executed by the log at
// execLog of a block that also holds the initiating log (same chain, same block number):
// initLog < execLog. Callers apply it only when the message names the executing block.
func CheckSameBlockOrder(initLog, execLog uint32) error {
	if initLog >= execLog {
		return ErrInitiatedAfterExecuting.Withf("initiating log %d, executing log %d", initLog, execLog)
	}
	return nil
}
